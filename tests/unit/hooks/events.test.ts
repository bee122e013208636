// The pure derivation of hook events from committed manager-state changes (hooks/events.ts):
// which changes make which events, in what order, with ids stable per commit, and nothing
// secret in them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ManagerState } from "../../../provider/runtime/core/model";
import { parseSpec } from "../../../provider/runtime/core/spec";
import {
  type DeriveState,
  deriveCommitEvents,
  drillEvent,
  emptyDeriveState,
  eventEnv,
  type HookEvent,
  isolationEvent,
} from "../../../provider/runtime/hooks/events";
import { hookSpec, mstate, powerOffSequence } from "./fixtures";

const AT = "2026-12-02T10:00:00.000Z";

/** Runs the committed sequence through the derivation as one primary would (revisions 101...). */
function derive(states: ManagerState[], spec = hookSpec(), from: DeriveState = emptyDeriveState()) {
  let st = from;
  const out: HookEvent[] = [];
  for (let i = 1; i < states.length; i++) {
    const d = deriveCommitEvents(st, {
      cluster: "prod",
      sentBy: "h1",
      at: AT,
      spec,
      prev: states[i - 1],
      next: states[i]!,
      revision: 100 + i,
    });
    st = d.state;
    out.push(...d.events);
  }
  return { events: out, state: st };
}

describe("hook events from committed state changes", () => {
  it("a powered-off host: fence started, fence succeeded, then one failover per VM, once each, in order", () => {
    const { events } = derive(powerOffSequence());
    assert.deepEqual(
      events.map((e) => `${e.kind} ${"resource" in e ? e.resource : "host" in e ? e.host : ""} ${e.id}`),
      [
        "fence-started h2 prod:fence-started:h2:101",
        "fence-succeeded h2 prod:fence-succeeded:h2:103",
        "failover web prod:failover:web:104",
        "failover db prod:failover:db:105",
      ],
    );
    const started = events[0]!;
    assert.equal(started.kind, "fence-started");
    if (started.kind === "fence-started") {
      assert.equal(started.device, "fence_ipmilan");
      assert.equal(started.revision, 101);
      assert.equal(started.sentBy, "h1");
    }
    const ok = events[1]!;
    if (ok.kind === "fence-succeeded") assert.equal(ok.how, "device");
    const fo = events[2]!;
    if (fo.kind === "failover") assert.deepEqual([fo.from, fo.to], ["h2", "h1"]);
  });

  it("a host whose device's status proved it off while suspect: fence started and succeeded in one commit, then the failovers", () => {
    const { events } = derive([
      mstate({ h1: "online", h2: "online", h3: "online" }, { web: ["started", "h2"], db: ["started", "h2"] }),
      mstate(
        { h1: "online", h2: ["suspect", { reason: "lease expired" }], h3: "online" },
        { web: ["started", "h2"], db: ["started", "h2"] },
      ),
      mstate(
        {
          h1: "online",
          h2: ["fenced", { reason: "fence device confirmed off", fence: { attempts: 0, confirmedAt: 2 } }],
          h3: "online",
        },
        { web: ["starting", "h1", { home: "h2" }], db: ["starting", "h3", { home: "h2" }] },
      ),
      mstate(
        { h1: "online", h2: ["fenced", { fence: { attempts: 0, confirmedAt: 2 } }], h3: "online" },
        { web: ["started", "h1", { home: "h2" }], db: ["started", "h3", { home: "h2" }] },
      ),
    ]);
    assert.deepEqual(
      events.map(
        (e) =>
          `${e.kind} ${"resource" in e ? `${e.resource} ${e.from}->${e.to}` : "host" in e ? e.host : ""}`,
      ),
      ["fence-started h2", "fence-succeeded h2", "failover web h2->h1", "failover db h2->h3"],
    );
    // a resource moved off a healthy host is still no failover
    const moved = derive([
      mstate({ h1: "online", h2: "online" }, { web: ["started", "h2"] }),
      mstate({ h1: "online", h2: "online" }, { web: ["starting", "h1"] }),
      mstate({ h1: "online", h2: "online" }, { web: ["started", "h1"] }),
    ]);
    assert.deepEqual(
      moved.events.filter((e) => e.kind === "failover"),
      [],
    );
  });

  it("events never carry the fence device's params (secrets live beside them)", () => {
    const { events } = derive(powerOffSequence());
    const text = JSON.stringify(events);
    assert.doesNotMatch(text, /10\.0\.0\.2|password|params/);
  });

  it("a failed fence attempt is one event per distinct error; the self-fence deadline is said as such", () => {
    const h = (extra: object) => ({
      h1: "online" as const,
      h2: ["fencing", extra] as never,
      h3: "online" as const,
    });
    const r = { web: ["recovering", "h2"] as never };
    const states = [
      mstate({ h1: "online", h2: "online", h3: "online" }, { web: ["started", "h2"] }),
      mstate(h({ fence: { attempts: 1 } }), r),
      mstate(h({ fence: { attempts: 1, lastError: "timeout" } }), r),
      mstate(h({ fence: { attempts: 2, lastError: "timeout" } }), r),
      mstate(h({ fence: { attempts: 2, lastError: "connection refused" } }), r),
      mstate({ h1: "online", h2: ["fenced", { fence: { attempts: 2, lastError: "x" } }], h3: "online" }, r),
    ];
    const { events } = derive(states);
    assert.deepEqual(
      events.map((e) => (e.kind === "fence-failed" ? `${e.kind} ${e.attempt} ${e.error}` : e.kind)),
      ["fence-started", "fence-failed 1 timeout", "fence-failed 2 connection refused", "fence-succeeded"],
    );
    const last = events.at(-1)!;
    if (last.kind === "fence-succeeded") assert.equal(last.how, "self-fence-deadline");
  });

  it("a resource that failed on a healthy host and moved is not a failover", () => {
    const { events } = derive([
      mstate({ h1: "online", h2: "online", h3: "online" }, { web: ["started", "h2"] }),
      mstate({ h1: "online", h2: "online", h3: "online" }, { web: ["recovering", "h2"] }),
      mstate({ h1: "online", h2: "online", h3: "online" }, { web: ["starting", "h1"] }),
      mstate({ h1: "online", h2: "online", h3: "online" }, { web: ["started", "h1"] }),
    ]);
    assert.deepEqual(events, []);
  });

  it("a primary that takes over while a VM is recovering sends its failover; a fresh memory alone sends nothing twice", () => {
    const seq = powerOffSequence();
    // the new primary takes over at the 'fencing, recovering' state (index 2) and commits from
    // there on with no memory of the failover: it adopts it from the state it replaces
    const { events } = derive(seq.slice(2));
    assert.deepEqual(
      events.map((e) => `${e.kind} ${e.id}`),
      [
        "fence-succeeded prod:fence-succeeded:h2:101",
        "failover prod:failover:web:102",
        "failover prod:failover:db:103",
      ],
    );
    // one taking over when both VMs are already starting elsewhere cannot know: nothing is sent
    assert.deepEqual(derive(seq.slice(3)).events, []);
  });

  it("lost failover headroom: once, when the committed state goes below the policy's host failures", () => {
    const spec = parseSpec({
      version: 1,
      name: "prod",
      admissionControl: { policy: "hostFailures", hostFailures: 1 },
      hosts: {
        h1: { cpu: 8, memoryMiB: 16384 },
        h2: { cpu: 8, memoryMiB: 16384 },
        h3: { cpu: 8, memoryMiB: 16384 },
      },
      resources: {
        a: { kind: "vm", reservation: { cpu: 6, memoryMiB: 1024 } },
        b: { kind: "vm", reservation: { cpu: 6, memoryMiB: 1024 } },
      },
    });
    const all = { a: ["started", "h1"] as never, b: ["started", "h3"] as never };
    const { events } = derive(
      [
        mstate({ h1: "online", h2: "online", h3: "online" }, all),
        mstate({ h1: "online", h2: "fencing", h3: "online" }, all),
        mstate({ h1: "online", h2: "fenced", h3: "online" }, all),
      ],
      spec,
    );
    const lost = events.filter((e) => e.kind === "headroom-lost");
    assert.equal(lost.length, 1);
    const e = lost[0]!;
    if (e.kind === "headroom-lost")
      assert.deepEqual(
        [e.policy, e.tolerated, e.required, e.id],
        ["hostFailures", 0, 1, "prod:headroom-lost:hostFailures:101"],
      );
  });

  it("isolation: from the core's isolation line only, with an id per lost lease", () => {
    const ctx = { cluster: "prod", host: "h2", at: AT, episode: "7587.3" };
    assert.equal(isolationEvent({ subject: "isolation", message: "stopping web" }, ctx), undefined);
    assert.equal(isolationEvent({ subject: "lease", message: "isolation response" }, ctx), undefined);
    const e = isolationEvent(
      { subject: "isolation", message: "lease lost: isolation response (stop web, kill -, keep -)" },
      ctx,
    );
    assert.equal(e?.id, "prod:isolation:h2:7587.3");
    assert.equal(e?.kind, "isolation");
  });

  it("drill events and the VMHA_EVENT_* variables", () => {
    const d = drillEvent({
      cluster: "prod",
      sentBy: "ci-runner",
      host: "h2",
      startedAt: new Date(AT),
      at: AT,
      passed: true,
      limitSeconds: 30,
      recoverySeconds: 1.4,
    });
    assert.equal(d.id, `prod:drill:h2:${AT}`);
    assert.deepEqual(eventEnv(d), {
      VMHA_EVENT_ID: d.id,
      VMHA_EVENT_KIND: "drill",
      VMHA_EVENT_CLUSTER: "prod",
      VMHA_EVENT_SENT_BY: "ci-runner",
      VMHA_EVENT_AT: AT,
      VMHA_EVENT_HOST: "h2",
      VMHA_EVENT_PASSED: "1",
    });
    const fo = derive(powerOffSequence()).events.find((e) => e.kind === "failover")!;
    const env = eventEnv(fo);
    assert.deepEqual(
      [env["VMHA_EVENT_RESOURCE"], env["VMHA_EVENT_FROM"], env["VMHA_EVENT_TO"], env["VMHA_EVENT_REVISION"]],
      ["web", "h2", "h1", "104"],
    );
  });
});
