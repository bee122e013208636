// One lab per test file: up before, down after (even when the test fails), plus the observer of
// every host's libvirt and a store client. Copies the agents' logs to .run/logs/<test> on failure.
import * as fs from "node:fs";
import * as path from "node:path";
import type { EtcdStore } from "../../../provider/runtime/store/etcd-store";
import { RUN_DIR } from "./config";
import { powerState } from "./host";
import * as lab from "./lab";
import { LabObserver } from "./observer";
import { readPowerEvents } from "./power-log";
import type { LabState } from "./state";
import { labStore, settled, waitFor } from "./wait";

export interface LabFixture {
  state: LabState;
  store: EtcdStore;
  obs: LabObserver;
  vms: string[];
  /** Waits until every host is online and every VM started exactly once. */
  settle(timeoutMs?: number, hosts?: readonly string[]): Promise<void>;
  /** Power off like a power loss, and tell the observer once every process is dead. */
  kill(h: string): number;
  log(s: string): void;
}

export async function startLab(name: string, o: lab.UpOptions & { vms: number }): Promise<LabFixture> {
  const lines: string[] = [];
  const log = (s: string) => {
    lines.push(`${new Date().toISOString()} ${s}`);
    // The TCG fallback is always reported; everything else with VMHA_LAB_VERBOSE=1.
    if (process.env["VMHA_LAB_VERBOSE"] || s.includes("TCG")) process.stdout.write(`# ${s}\n`);
  };
  // Every host gets the lab watchdog, as production hosts should: the primary frees a failed
  // host's VMs on the self-fence deadline only for a host that reported one.
  const { state } = await lab.up({ watchdog: {}, ...o, log });
  const store = labStore(state);
  const obs = new LabObserver();
  for (const h of state.hosts) await obs.hostOn(h);
  const since = Date.now();
  const seen = new Set<string>();
  // A host powered off by the cluster itself (its fence device, its watchdog) is dead once
  // every process of it is: only then may the observer stop counting its VMs.
  const poll = setInterval(() => {
    for (const e of readPowerEvents(since)) {
      const key = `${e.at}/${e.host}/${e.action}`;
      if (seen.has(key)) continue;
      if (e.action === "on") {
        // a watchdog reset reboots the host by itself: watch it again
        if (e.by !== "watchdog" && !e.by.startsWith("bmc")) continue;
        if (powerState(e.host) !== "on") continue;
        seen.add(key);
        void obs.hostOn(e.host).catch(() => seen.delete(key));
        continue;
      }
      if (powerState(e.host) !== "off") continue;
      seen.add(key);
      obs.hostOff(e.host);
      log(`${e.host} powered off by ${e.by}${e.detail ? ` (${e.detail})` : ""}`);
    }
  }, 100);
  poll.unref();
  const vms = Array.from({ length: o.vms }, (_, i) => `vm${i + 1}`);
  const fx: LabFixture = {
    state,
    store,
    obs,
    vms,
    async settle(timeoutMs = 60000, hosts = state.hosts) {
      try {
        await waitFor(`${name}: every host online and every VM started once`, timeoutMs, async () =>
          settled(await store.read(), hosts, vms),
        );
      } catch (err) {
        // Say what the cluster looked like, and keep the agents' logs.
        const v = await store.read().catch(() => undefined);
        const summary = v
          ? JSON.stringify({
              primary: v.primary,
              leases: v.leases,
              hosts: Object.fromEntries(Object.entries(v.manager?.hosts ?? {}).map(([h, r]) => [h, r.state])),
              resources: Object.fromEntries(
                Object.entries(v.manager?.resources ?? {}).map(([r, m]) => [
                  r,
                  `${m.state}@${m.node ?? "-"}`,
                ]),
              ),
              reports: Object.fromEntries(Object.entries(v.reports).map(([h, r]) => [h, r.running])),
            })
          : "store unreadable";
        saveLogs(name, state, lines);
        throw new Error(`${err instanceof Error ? err.message : String(err)}; cluster: ${summary}`);
      }
    },
    kill(h) {
      const t0 = Date.now();
      lab.kill(h);
      obs.hostOff(h);
      log(`powered off ${h}`);
      return t0;
    },
    log,
  };
  (fx as LabFixture & { _poll?: NodeJS.Timeout })._poll = poll;
  (fx as LabFixture & { _lines: string[]; _name: string })._lines = lines;
  (fx as LabFixture & { _lines: string[]; _name: string })._name = name;
  return fx;
}

function saveLogs(name: string, state: LabState, lines: readonly string[]): void {
  const dir = path.join(RUN_DIR, "logs", name);
  fs.mkdirSync(dir, { recursive: true });
  for (const h of state.hosts) {
    const f = path.join(RUN_DIR, "hosts", h, "agent.log");
    if (fs.existsSync(f)) fs.copyFileSync(f, path.join(dir, `${h}-agent.log`));
  }
  fs.writeFileSync(path.join(dir, "test.log"), lines.join("\n"));
}

/** Where every double run the observer saw is appended; the test runner fails the run on it. */
const SAFETY_LOG = path.join(RUN_DIR, "safety-violations.log");

export function stopLab(fx: LabFixture | undefined, failed: boolean): void {
  if (fx) {
    clearInterval((fx as LabFixture & { _poll?: NodeJS.Timeout })._poll);
    fx.obs.stop();
    const f0 = fx as LabFixture & { _name: string };
    for (const d of fx.obs.doubleRuns) {
      fs.mkdirSync(RUN_DIR, { recursive: true });
      fs.appendFileSync(
        SAFETY_LOG,
        `${new Date(d.at).toISOString()} ${f0._name}: double run of ${d.vm} on ${d.hosts.join(" and ")}\n`,
      );
    }
    fx.store.client.close();
    const f = fx as LabFixture & { _name: string; _lines: string[] };
    if (failed) saveLogs(f._name, fx.state, f._lines);
  }
  lab.down();
}
