// `vmha dashboard` against a real etcd: the page, its SSE stream, a live update when the manager
// state changes (h2 fenced, web moved to h3), one reader however many browsers, no secret in
// any response, read-only, and loopback only unless told otherwise.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import { after, before, test } from "node:test";
import type { Dashboard } from "../../../provider/runtime/dashboard/server";
import { startDashboard } from "../../../provider/runtime/dashboard/server";
import type { EtcdStore } from "../../../provider/runtime/store/etcd-store";
import {
  CLUSTER,
  countingSource,
  dashboardOn,
  dashStore,
  SseReader,
  writeAfter,
  writeBefore,
} from "../../support/dashboard-etcd";
import { FENCE_SECRET, RESOURCE_SECRET } from "../../support/dashboard-fixture";
import { startEtcd, type TestEtcd } from "../../support/etcd";

let etcd: TestEtcd;
let store: EtcdStore;
let dash: Dashboard;
let source: ReturnType<typeof countingSource>;
const bodies: string[] = [];

before(async () => {
  etcd = await startEtcd();
  store = dashStore(etcd.endpoint);
  await writeBefore(store);
  source = countingSource(store);
  dash = await dashboardOn(source);
});
after(async () => {
  await dash?.close();
  store?.client.close();
  await etcd?.stop();
});

async function get(p: string, init?: RequestInit): Promise<Response & { text_: string }> {
  const res = await fetch(new URL(p, dash.url), init);
  const text_ = await res.text();
  bodies.push(text_);
  return Object.assign(res, { text_ });
}

test("the page, its script and style are served with a strict CSP; the model is embedded", async () => {
  const page = await get("/");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type")!, /text\/html/);
  assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
  assert.match(page.text_, /<script type="application\/json" id="initial">/);
  assert.match(page.text_, /"host":"h2","state":"online","lease":true/);
  const js = await get("/app.js");
  assert.match(js.headers.get("content-type")!, /javascript/);
  assert.match(js.text_, /new EventSource\("\/events"\)/);
  assert.equal((await get("/app.css")).status, 200);
  assert.equal((await get("/nope")).status, 404);
});

test("SSE: the current model at once, then h2 fenced and web on h3 after the manager state changes", async () => {
  const sse = new SseReader(dash.url);
  try {
    const first = await sse.next(() => true, 5000, "at all");
    assert.equal(first.hosts.find((h) => h.host === "h2")?.state, "online");
    assert.deepEqual(first.resources.find((r) => r.name === "web")?.runningOn, ["h2"]);
    const t0 = Date.now();
    await writeAfter(store);
    const m = await sse.next(
      (x) => x.hosts.find((h) => h.host === "h2")?.state === "fenced",
      5000,
      "with h2 fenced",
    );
    // the watch makes it prompt; the 1 s re-read is the fallback
    assert.ok(Date.now() - t0 < 2500, `update took ${Date.now() - t0} ms`);
    const h2 = m.hosts.find((h) => h.host === "h2")!;
    assert.equal(h2.lease, false);
    assert.equal(m.hosts.find((h) => h.host === "h1")?.primary, true);
    const web = m.resources.find((r) => r.name === "web")!;
    assert.deepEqual([web.node, web.runningOn], ["h3", ["h3"]]);
    const last = await sse.next((x) => x.timeline.length === 4, 3000, "with the four events");
    assert.match(last.timeline[0]!.message, /starting => started/);
    assert.match(last.timeline.at(-1)!.message, /online => fencing/);
    assert.ok(last.headroom && last.headroom.tolerated >= 0);
    bodies.push(...sse.raw);
  } finally {
    await sse.close();
  }
});

test("many browsers, one reader: reads stay at about one per second, not one per browser", async () => {
  const readers = Array.from({ length: 6 }, () => new SseReader(dash.url));
  try {
    await Promise.all(readers.map((r) => r.next(() => true, 5000, "first")));
    const r0 = source.reads;
    await new Promise((res) => setTimeout(res, 3000));
    const reads = source.reads - r0;
    assert.ok(reads <= 5, `${reads} store reads in 3 s with 6 browsers open`);
  } finally {
    for (const r of readers) bodies.push(...r.raw);
    await Promise.all(readers.map((r) => r.close()));
  }
});

function statusWithHost(host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: "127.0.0.1", port: dash.port, path: "/model.json", headers: { host } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      },
    );
    req.on("error", reject);
  });
}

test("read-only, and a foreign Host header (DNS rebinding) is refused", async () => {
  assert.equal((await get("/", { method: "POST", body: "x" })).status, 405);
  assert.equal((await get("/model.json", { method: "DELETE" })).status, 405);
  // fetch() does not let a caller set Host: a browser on a rebound name sends its own
  assert.equal(await statusWithHost("evil.example:80"), 421);
  assert.equal(await statusWithHost(`localhost:${dash.port}`), 200);
});

test("no response ever carries a secret of the spec", async () => {
  await get("/");
  await get("/model.json");
  await get("/app.js");
  const all = bodies.join("\n");
  assert.ok(all.length > 1000, "responses were collected");
  assert.ok(!all.includes(FENCE_SECRET), "fence password sent to a browser");
  assert.ok(!all.includes(RESOURCE_SECRET), "resource param sent to a browser");
  assert.ok(!all.includes("secretParams") && !all.includes('"params"'));
});

test("a non-loopback address is refused unless allowed, before anything is served", async () => {
  await assert.rejects(
    startDashboard({ source, cluster: CLUSTER, host: "0.0.0.0", port: 0 }),
    /refusing to serve the dashboard on 0\.0\.0\.0.*--allow-remote/,
  );
  const cli = spawnSync(
    process.execPath,
    [
      path.join(__dirname, "..", "..", "..", "provider", "runtime", "cli", "vmha.js"),
      "--etcd",
      etcd.endpoint,
      "--cluster",
      CLUSTER,
      "dashboard",
      "--listen",
      "0.0.0.0:0",
    ],
    { encoding: "utf8", timeout: 10000 },
  );
  assert.equal(cli.status, 1);
  assert.match(
    cli.stderr,
    /refusing to serve the dashboard on 0\.0\.0\.0: it has no authentication.*--allow-remote/,
  );
});
