// The agent's hook path end to end without a lab: the HookTap on the Env's store and log (as
// agent.ts wires it), Hooks with a real executable, driven by the reads and CAS commits a primary
// makes while a host is powered off, then a primary change mid-failover. Proves the events come
// out once each, in order, from the committing primary only, and that a hook that hangs delays
// no store call.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { HookTap } from "../../../provider/runtime/agent/hook-tap";
import type { ManagerState } from "../../../provider/runtime/core/model";
import type { LeaseStatus, LogRecord, Store, StoreView } from "../../../provider/runtime/env";
import { parseHookConfig } from "../../../provider/runtime/hooks/config";
import { Hooks } from "../../../provider/runtime/hooks/dispatch";
import type { HookEvent } from "../../../provider/runtime/hooks/events";
import { hookSpec, powerOffSequence } from "../../unit/hooks/fixtures";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-hook-agent-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const rawSpec = JSON.parse(JSON.stringify(hookSpec())) as unknown;

/** One etcd for several agents: the manager key with CAS on its mod revision. */
class FakeCluster {
  revision = 10;
  managerRevision = 0;
  manager: ManagerState | undefined;
  primary = "h1";

  storeFor(host: string): Store {
    return {
      campaign: async () => this.primary === host,
      read: async (): Promise<StoreView> => ({
        revision: this.revision,
        spec: rawSpec,
        specRevision: 1,
        manager: this.manager,
        managerRevision: this.managerRevision,
        leases: ["h1", "h3"],
        primary: this.primary,
        reports: {},
        maintenance: [],
        migrateRequests: [],
      }),
      commitManager: async (expected, state) => {
        if (expected !== this.managerRevision || this.primary !== host) throw new Error("not primary");
        this.revision += 1;
        this.managerRevision = this.revision;
        this.manager = state;
        return this.revision;
      },
      report: async () => undefined,
    };
  }
}

function recorder(name: string): { file: string; out: string } {
  const out = path.join(dir, `${name}.jsonl`);
  const file = path.join(dir, `${name}.sh`);
  fs.writeFileSync(file, `#!/bin/sh\ncat >> ${out}\n`, { mode: 0o700 });
  return { file, out };
}

function received(out: string): HookEvent[] {
  if (!fs.existsSync(out)) return [];
  return fs
    .readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HookEvent);
}

const lease = (): LeaseStatus => ({ id: "7587abc", generation: 2, lastAckSentAt: 0, ttlMs: 1000 });

function agent(cluster: FakeCluster, host: string, hookFile: string) {
  const hooks = new Hooks(parseHookConfig({ exec: hookFile, backoffMs: 10 }), () => undefined, undefined);
  const tap = new HookTap({ cluster: "prod", host, hooks, lease });
  const logged: LogRecord[] = [];
  return {
    hooks,
    store: tap.observeStore(cluster.storeFor(host)),
    log: tap.observeLog({ log: (r) => logged.push(r) }),
    logged,
  };
}

describe("agent hook path (HookTap + Hooks + exec), no lab", () => {
  it("a powered-off host: fence started, fence succeeded, one failover per VM, once each, in order; a new primary sends only what it commits", async () => {
    const c = new FakeCluster();
    const { file, out } = recorder("power-off");
    const h1 = agent(c, "h1", file);
    const h3 = agent(c, "h3", file);
    const seq = powerOffSequence();
    // each iteration: both agents read; the primary commits the next state on what it read
    const step = async (a: ReturnType<typeof agent>, state: ManagerState) => {
      await h1.store.read();
      await h3.store.read();
      const v = await a.store.read();
      await a.store.commitManager(v.managerRevision, state);
    };
    await step(h1, seq[0]!);
    await step(h1, seq[1]!); // h2 fencing
    await step(h1, seq[2]!); // fence attempt 1
    await step(h1, seq[3]!); // fenced, web and db starting elsewhere
    await step(h1, seq[4]!); // web started on h1
    // h1 loses the election; h3 commits db started
    c.primary = "h3";
    await assert.rejects(step(h1, seq[5]!), /not primary/);
    await step(h3, seq[5]!);
    assert.equal(await h1.hooks.drain(5000), true);
    assert.equal(await h3.hooks.drain(5000), true);
    const got = received(out);
    assert.deepEqual(
      got.map((e) => `${e.sentBy} ${e.kind} ${"resource" in e ? e.resource : "host" in e ? e.host : ""}`),
      ["h1 fence-started h2", "h1 fence-succeeded h2", "h1 failover web"],
      "db's failover started under h1 and finished under h3, which had no memory of it: lost, not doubled",
    );
    assert.equal(new Set(got.map((e) => e.id)).size, got.length);
  });

  it("a new primary that takes over while VMs are still recovering sends their failovers, and nothing the old one sent", async () => {
    const c = new FakeCluster();
    const { file, out } = recorder("takeover");
    const h1 = agent(c, "h1", file);
    const h3 = agent(c, "h3", file);
    const seq = powerOffSequence();
    for (const [a, s] of [
      [h1, seq[0]],
      [h1, seq[1]],
      [h1, seq[2]],
    ] as const) {
      const v = await a.store.read();
      await a.store.commitManager(v.managerRevision, s!);
    }
    c.primary = "h3";
    for (const s of seq.slice(3)) {
      const v = await h3.store.read();
      await h3.store.commitManager(v.managerRevision, s);
    }
    await h1.hooks.drain(5000);
    await h3.hooks.drain(5000);
    assert.deepEqual(
      received(out).map((e) => `${e.sentBy} ${e.kind}`),
      ["h1 fence-started", "h3 fence-succeeded", "h3 failover", "h3 failover"],
    );
  });

  it("the isolation line becomes one isolation event; a hook that hangs delays no store call or log", async () => {
    const c = new FakeCluster();
    const hang = path.join(dir, "hang.sh");
    fs.writeFileSync(hang, "#!/bin/sh\nexec sleep 30\n", { mode: 0o700 });
    const a = agent(c, "h2", hang);
    const r = {
      level: "warn" as const,
      host: "h2",
      subject: "isolation",
      message: "lease lost: isolation response (stop web, kill -, keep -)",
    };
    a.log.log(r);
    a.log.log({ ...r }); // said again within the episode: same id, not queued twice
    const seq = powerOffSequence();
    const t0 = performance.now();
    for (const s of seq.slice(0, 4)) {
      const v = await a.store.read();
      c.primary = "h2";
      await a.store.commitManager(v.managerRevision, s);
    }
    a.log.log({ level: "info", host: "h2", subject: "sentence", message: "idle" });
    const ms = performance.now() - t0;
    assert.ok(ms < 200, `store calls and logs behind a hanging hook took ${ms} ms`);
    assert.equal(a.logged.length, 3, "the log still gets every line");
    a.hooks.close();
  });
});
