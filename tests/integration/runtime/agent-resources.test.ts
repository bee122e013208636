// HostResources (the agent's ResourceDriver) against a fake virsh and fake OCF agents:
// M3 (list never blocks the loop for long), M2 (failed starts are cleaned up), M5 (pause
// reasons), M8 (only domains with vmha's marker are the resource; no --nvram), L3 (no temp file).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { HostResources, type HostResourcesOptions } from "../../../provider/runtime/agent/resources";
import type { ResourceSpec } from "../../../provider/runtime/env";
import { RetryableError, TerminalError } from "../../../provider/runtime/env";
import { LibvirtDriver } from "../../../provider/runtime/libvirt/driver";
import { DomainWatch } from "../../../provider/runtime/libvirt/watch";
import { FakeVirsh } from "./agent-fake-virsh";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-it-res-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

const ocfRoot = path.join(dir, "ocf");
fs.mkdirSync(path.join(ocfRoot, "resource.d", "test"), { recursive: true });
fs.writeFileSync(
  path.join(ocfRoot, "resource.d", "test", "Fake"),
  `#!/bin/sh
echo "$OCF_RESOURCE_INSTANCE $1" >> "$OCF_RESKEY_log"
case "$1" in
  monitor) sleep "\${OCF_RESKEY_sleep:-0}"; [ -f "$OCF_RESKEY_state" ] && exit 0; exit 7 ;;
  start) touch "$OCF_RESKEY_state"; exit "\${OCF_RESKEY_startrc:-0}" ;;
  stop) [ "\${OCF_RESKEY_stoprc:-0}" = 0 ] && rm -f "$OCF_RESKEY_state"; exit "\${OCF_RESKEY_stoprc:-0}" ;;
esac
exit 3
`,
  { mode: 0o755 },
);

function vm(name: string): ResourceSpec {
  return {
    kind: "vm",
    params: { domainXml: `<domain type='kvm'><name>${name}</name></domain>` },
    monitoring: {},
  } as unknown as ResourceSpec;
}

function ocf(params: Record<string, string>): ResourceSpec {
  return { kind: "ocf", agent: "ocf:test:Fake", params, monitoring: {} } as unknown as ResourceSpec;
}

async function setup(opts: Partial<HostResourcesOptions> = {}) {
  const d = path.join(dir, `case${n++}`);
  const fake = new FakeVirsh(d);
  const libvirt = new LibvirtDriver({ uri: "test:///fake", timeoutMs: 1500, binary: fake.bin });
  const watch = new DomainWatch(libvirt, {});
  const logs: string[] = [];
  const res = new HostResources(libvirt, watch, {
    host: "h1",
    cluster: "c1",
    gracefulStopMs: 0,
    ocfTimeoutMs: 5000,
    peer: () => ({ libvirtUri: "test:///peer" }),
    log: (s, m) => logs.push(`${s}: ${m}`),
    ocfRoot,
    ...opts,
  });
  return { d, fake, libvirt, watch, res, logs, ocfLog: path.join(d, "ocf.log") };
}

test("M3: list() does not wait for first OCF probes; they run in the background and are unknown meanwhile", async () => {
  const t = await setup({ probeConcurrency: 2 });
  await t.watch.refresh();
  const spec: Record<string, ResourceSpec> = {};
  for (const r of ["a", "b", "c", "d"]) {
    const state = path.join(t.d, `${r}.state`);
    if (r !== "d") fs.writeFileSync(state, "");
    spec[r] = ocf({ state, sleep: "1", log: t.ocfLog });
  }
  const t0 = performance.now();
  assert.deepEqual(await t.res.list(spec), []);
  assert.ok(performance.now() - t0 < 500, `list took ${Math.round(performance.now() - t0)} ms`);
  assert.deepEqual(t.res.unknown(), ["a", "b", "c", "d"]);
  // Two at a time, 1 s each: after ~1.3 s two are known, the other two still pending.
  await new Promise((r) => setTimeout(r, 1300));
  assert.deepEqual((await t.res.list(spec)).length, 2);
  const mid = t.res.unknown();
  assert.equal(mid.length, 2, `unknown after one round: ${mid}`);
  await new Promise((r) => setTimeout(r, 1200));
  assert.deepEqual(await t.res.list(spec), ["a", "b", "c"]);
  assert.deepEqual(t.res.unknown(), []);
});

test("M3: a libvirt re-list that hangs makes list() throw a RetryableError within the bound, never []", async () => {
  const t = await setup({ refreshTimeoutMs: 300 });
  t.fake.add("web");
  t.fake.edit((s) => {
    s.sleep["list"] = 1200;
  });
  const t0 = performance.now();
  await assert.rejects(
    t.res.list({ web: vm("web") }),
    (e: unknown) =>
      e instanceof RetryableError &&
      /^host h1: libvirt did not list its domains within 300 ms/.test(e.message),
  );
  assert.ok(performance.now() - t0 < 700, `list took ${Math.round(performance.now() - t0)} ms`);
});

test("M2: a failed OCF start is followed by stop; if that stop fails too, it stays reported as running", async () => {
  const t = await setup();
  await t.watch.refresh();
  const ok = ocf({ state: path.join(t.d, "x.state"), startrc: "1", log: t.ocfLog });
  await assert.rejects(
    t.res.start("x", ok),
    /^RetryableError: resource x: start on h1: ocf_err_generic|resource x: start on h1: .*stopped again/,
  );
  assert.deepEqual(fs.readFileSync(t.ocfLog, "utf8").trim().split("\n"), ["x start", "x stop"]);
  assert.deepEqual(await t.res.list({ x: ok }), []);
  const stuck = ocf({ state: path.join(t.d, "y.state"), startrc: "1", stoprc: "1", log: t.ocfLog });
  await assert.rejects(
    t.res.start("y", stuck),
    /resource y: start on h1: .*the stop after it failed too .*reported as running on h1/,
  );
  assert.deepEqual(await t.res.list({ y: stuck }), ["y"]);
});

test("M2: a virsh create that times out, with the domain appearing anyway, is destroyed before start throws", async () => {
  const t = await setup({ createGraceMs: 60000 });
  await t.watch.refresh();
  t.fake.edit((s) => {
    s.sleep["create"] = 2500; // beyond the 1500 ms virsh deadline
    s.createLate = true; // libvirtd creates the domain, virsh is killed before it says so
  });
  await assert.rejects(t.res.start("web", vm("web")), (e: unknown) => {
    assert.ok(e instanceof RetryableError, String(e));
    assert.match(e.message, /^resource web: start on h1: .*timed out.*destroyed the half-created domain/);
    return true;
  });
  assert.ok(t.fake.calls().some((c) => c.args[0] === "destroy" && c.args[1] === "web"));
  assert.equal(t.fake.read().domains["web"], undefined);
  // libvirtd might still be working on it: until the grace period ends, web is unknown here.
  assert.deepEqual(await t.res.list({ web: vm("web") }), []);
  assert.deepEqual(t.res.unknown(), ["web"]);
});

test("M5: pause reasons decide health; a source left paused by a failed migrate is unhealthy", async () => {
  const t = await setup();
  t.fake.add("web", { state: "paused", reason: "user" });
  await t.watch.refresh();
  assert.equal((await t.res.monitor("web", vm("web"))).healthy, true);
  t.fake.edit((s) => {
    s.domains["web"]!.reason = "I/O error";
  });
  const io = await t.res.monitor("web", vm("web"));
  assert.equal(io.healthy, false);
  assert.match(io.detail ?? "", /I\/O error/);
  t.fake.edit((s) => {
    s.domains["web"]!.state = "running";
  });
  await t.watch.refresh();
  await assert.rejects(t.res.migrate("web", vm("web"), "h2"), /resource web: migrate h1 -> h2/);
  const after = await t.res.monitor("web", vm("web"));
  assert.deepEqual([after.running, after.healthy], [true, false], after.detail);
  // The stale source of a finished migration is not running here.
  t.fake.edit((s) => {
    s.domains["web"]!.reason = "post-copy";
  });
  await t.watch.refresh();
  assert.deepEqual(await t.res.list({ web: vm("web") }), []);
});

test("M8: a domain with the resource's name but without this cluster's marker is ignored, never stopped", async () => {
  const t = await setup();
  t.fake.add("web", { marker: null });
  t.fake.add("db", { cluster: "other" });
  t.fake.add("ours");
  await t.watch.refresh();
  const spec = { web: vm("web"), db: vm("db"), ours: vm("ours") };
  assert.deepEqual(await t.res.list(spec), ["ours"]);
  assert.deepEqual(await t.res.list(spec), ["ours"]);
  const metadataCalls = t.fake.calls().filter((c) => c.args[0] === "metadata");
  assert.equal(metadataCalls.length, 3, "one marker check per domain, cached");
  assert.ok(t.logs.some((l) => /resource web: a domain named web runs on h1 without vmha's marker/.test(l)));
  await t.res.stop("web", vm("web"), "kill");
  await t.res.stop("db", vm("db"), "stop");
  assert.ok(!t.fake.calls().some((c) => ["destroy", "shutdown", "undefine"].includes(c.args[0]!)));
  assert.ok(t.fake.read().domains["web"] && t.fake.read().domains["db"]);
  await assert.rejects(
    t.res.start("web", vm("web")),
    (e: unknown) =>
      e instanceof TerminalError &&
      /resource web: a domain named web that vmha did not start/.test(e.message),
  );
});

test("M8 and L3: start never passes --nvram; the XML goes through a private file, removed after", async () => {
  const t = await setup();
  t.fake.add("web", { state: "shut off", persistent: true });
  await t.watch.refresh();
  await t.res.start("web", vm("web"));
  const calls = t.fake.calls();
  assert.ok(!calls.some((c) => c.args.includes("--nvram")), JSON.stringify(calls));
  assert.ok(calls.some((c) => c.args[0] === "undefine" && c.args.includes("--keep-nvram")));
  const create = calls.find((c) => c.args[0] === "create");
  const file = create?.file;
  assert.ok(file, `create read no file: ${JSON.stringify(create)}`);
  assert.equal(file.mode, 0o600, "the XML file is private");
  assert.equal(file.dirMode, 0o700, "in a private directory (mkdtemp): no symlink can be planted");
  assert.doesNotMatch(create!.args[1]!, /vmha-\d+-web-\d+\.xml$/, "the old predictable name");
  assert.match(
    file.xml,
    /<vmha:resource xmlns:vmha="https:\/\/vmha.dev\/xmlns\/libvirt\/1" cluster="c1" name="web"\/>/,
  );
  // the exact directory the XML went through is gone (other tests run at the same time and make
  // their own temporary directories, so the whole of /tmp proves nothing)
  assert.equal(fs.existsSync(path.dirname(create!.args[1]!)), false, "nothing left behind");
  assert.deepEqual(await t.res.list({ web: vm("web") }), ["web"]);
});
