// Proof on the lab: `vmha dashboard` (the real CLI, against the lab's etcd) shows a powered-off
// host down and fenced, the fence in the timeline and its VMs on their new hosts, as seen in
// Debian's headless Chromium. Screenshots (before, after) and the DOMs go to
// tests/lab/.run/dashboard/<timestamp>/.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { chromiumOrSkip, dumpDom, rowOf, screenshot } from "../support/chromium";
import { etcdEndpoints, NODE, ROOT, RUN_DIR } from "./lib/config";
import { type LabFixture, startLab, stopLab } from "./lib/fixture";
import { events, firstEvent, waitFor } from "./lib/wait";

let fx: LabFixture | undefined;
let dash: ChildProcess | undefined;
let failed = false;
const OUT = path.join(RUN_DIR, "dashboard", new Date().toISOString().replace(/[:.]/g, "-"));

before(async () => {
  fx = await startLab("dashboard", { vms: 3 });
  await fx.settle();
});
after(() => {
  if (dash?.pid !== undefined && dash.exitCode === null) dash.kill("SIGTERM");
  stopLab(fx, failed);
});

/** Starts `vmha dashboard` on a free loopback port; resolves to the URL it prints. */
function startDashboardCli(f: LabFixture): Promise<string> {
  const p = spawn(
    NODE,
    [
      path.join(ROOT, "dist", "provider", "runtime", "cli", "vmha.js"),
      "--etcd",
      etcdEndpoints(f.state.etcd).join(","),
      "--cluster",
      f.state.cluster,
      "dashboard",
      "--listen",
      "127.0.0.1:0",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  dash = p;
  let err = "";
  p.stderr!.on("data", (b: Buffer) => {
    err += b.toString();
  });
  return new Promise((resolve, reject) => {
    let out = "";
    p.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    p.once("exit", (code) => reject(new Error(`vmha dashboard exited ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`vmha dashboard printed no URL in 15 s: ${err}`)), 15000).unref();
  });
}

test("power off a host: the dashboard in Chromium shows it down, the fence, its VMs on their new hosts", async (t) => {
  try {
    const bin = chromiumOrSkip(t);
    if (!bin) return;
    const f = fx!;
    fs.mkdirSync(OUT, { recursive: true });
    const url = await startDashboardCli(f);
    await screenshot(bin, url, path.join(OUT, "1-before.png"));

    const victim = f.state.hosts.reduce((a, b) =>
      f.obs.running(b).length > f.obs.running(a).length ? b : a,
    );
    const moved = f.obs.running(victim);
    assert.ok(moved.length > 0, `${victim} runs no VM`);
    const t0 = f.kill(victim);
    await waitFor(`${moved.join(",")} running on another host`, 30000, () =>
      moved.every((v) => f.obs.firstRunningAt(v, victim, t0) !== undefined) ? true : undefined,
    );
    await waitFor("fence event", 10000, async () =>
      firstEvent(await events(f.store, t0), `host ${victim}`, /=> fenced/) ? true : undefined,
    );

    // the page as a browser sees it, once the dashboard (1 s re-read at most) has the new state
    const dom = await waitFor("the page showing the failover", 10000, async () => {
      const d = await dumpDom(bin, url);
      const row = rowOf(d, `data-host="${victim}"`);
      const allMoved = moved.every((v) => {
        const r = rowOf(d, `data-resource="${v}"`);
        return r && /data-state="started"/.test(r) && !new RegExp(`data-on="[^"]*${victim}`).test(r);
      });
      return row && /data-state="fenced"/.test(row) && allMoved ? d : undefined;
    });
    fs.writeFileSync(path.join(OUT, "after.html"), dom);
    await screenshot(bin, url, path.join(OUT, "2-after.png"));

    const row = rowOf(dom, `data-host="${victim}"`)!;
    assert.match(row, /data-lease="false"/, `${victim}'s lease shown alive`);
    assert.match(row, /fence device confirmed off/);
    assert.match(
      dom,
      new RegExp(`data-kind="fence"[^>]*>.*?host ${victim}: status change fencing =&gt; fenced`),
    );
    for (const v of moved) {
      const r = rowOf(dom, `data-resource="${v}"`)!;
      const on = /data-on="([^"]*)"/.exec(r)?.[1] ?? "";
      assert.equal(on.split(",").length, 1, `${v} shown on ${on}`);
      assert.notEqual(on, victim);
      assert.deepEqual(
        f.obs.where(v),
        [on],
        `the page says ${v} runs on ${on}; the hypervisors say ${f.obs.where(v)}`,
      );
    }
    assert.deepEqual(f.obs.doubleRuns, [], "a VM ran on two hosts");
    t.diagnostic(`screenshots: ${OUT}`);
  } catch (err) {
    failed = true;
    throw err;
  }
});
