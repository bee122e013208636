// vmha-drift (the CLI, as CI runs it) against a real engine and dassim (review finding 12):
//  - a host removed outside Pulumi changes the secret input `addHosts`: reported as drift, by name,
//    without any value of it (exit 7), and the JSON goes to stdout with `--json -`;
//  - one resource whose read fails is one error in the report; the other resources are still
//    checked and their drift reported with old and new values, as GitHub annotations, and the
//    JSON file is still written (exit 1);
//  - the last line names the command that corrects drift.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { findByInventoryPath } from "../../../provider/vsphere/client/inventory";
import { VimClient } from "../../../provider/vsphere/client/session";
import { connectionSettings } from "../../../provider/vsphere/client/settings";
import { runTask } from "../../../provider/vsphere/client/tasks";
import { agentFor } from "../../../provider/vsphere/client/transport";
import { clusterSpecXml } from "../../../provider/vsphere/mapping/das";
import { Cluster, HaSettings } from "../../../sdk/vsphere";
import { envFor, inlineStack, ROOT, type TestStack, up } from "../../support/engine";
import { startVcsim, type Vcsim } from "../../support/vsphere/vcsim";

const ESX_PASSWORD = "esx-dr1ft-pa55word";
const ESX_HOST = "esx-drift-1.example";
/** While this file exists, the probe resource's read fails (as a resource on an unreachable platform). */
let failFlag = "";

const probeProvider: pulumi.dynamic.ResourceProvider = {
  async create() {
    return { id: "probe", outs: {} };
  },
  async read(id: string, props: Record<string, unknown>) {
    const flag = failFlag;
    if (require("node:fs").existsSync(flag))
      throw new Error("probe: simulated read failure (platform unreachable)");
    return { id, props };
  },
};

class Probe extends pulumi.dynamic.Resource {
  constructor(name: string) {
    super(probeProvider, name, {});
  }
}

const program = async () => {
  const cluster = new Cluster("prod", {
    datacenter: "DC0",
    name: "vmha-drift",
    addHosts: [{ address: ESX_HOST, password: ESX_PASSWORD }],
  });
  new HaSettings("ha", { clusterId: cluster.clusterId });
  new Probe("probe");
  return {};
};

describe("vmha-drift on dassim: secret drift, a failed read, GitHub annotations, JSON", () => {
  let sim: Vcsim;
  let s: TestStack;
  let vc: VimClient;
  const cli = path.join(ROOT, "dist", "provider", "core", "drift", "cli.js");
  const drift = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [cli, "--stack", s.stack.name, "--cwd", s.stack.workspace.workDir, "--quiet", ...args],
      {
        encoding: "utf8",
        env: { ...process.env, ...envFor(s.stateDir) },
      },
    );

  before(async () => {
    sim = await startVcsim({ vms: 0 });
    const { "vmha:vspherePassword": password, ...plain } = sim.config;
    s = await inlineStack("vsphere-drift", program, plain);
    failFlag = path.join(s.dir, "fail-read");
    await s.stack.setConfig("vmha:vspherePassword", { value: password ?? "", secret: true });
    const settings = connectionSettings({ get: (k) => sim.config[k] });
    vc = new VimClient(settings, agentFor(settings));
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
  });
  after(async () => {
    try {
      fs.rmSync(failFlag, { force: true });
      await s?.dispose();
    } finally {
      await sim?.stop();
    }
  });

  it("exits 0 and says so when nothing drifted", () => {
    const r = drift();
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^no drift: 3 resource\(s\) of stack \S+ match their state$/m);
  });

  it("detects a host removed outside Pulumi in the secret addHosts, without showing it (--json -)", async () => {
    const host = await findByInventoryPath(vc, `DC0/host/vmha-drift/${ESX_HOST}`);
    assert.ok(host, "the added host is in the cluster");
    await runTask(vc, "Destroy_Task", host, {}, "remove host outside Pulumi");
    const r = drift("--json", "-");
    assert.equal(r.status, 7, `${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(r.stdout) as {
      schemaVersion: number;
      drifted: Array<{ name: string; changes: Array<{ property: string; secret: boolean }> }>;
    };
    assert.equal(report.schemaVersion, 1);
    assert.deepEqual(
      report.drifted.map((d) => [d.name, d.changes]),
      [["prod", [{ property: "addHosts", secret: true }]]],
    );
    assert.match(
      r.stderr,
      /^drift: vmha-vsphere:Cluster prod: addHosts \(secret: changed, values not shown\)$/m,
    );
    assert.match(r.stderr, /drifted; run `pulumi up --refresh` to restore the declared state/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(`${ESX_PASSWORD}|${ESX_HOST.replace(/\./g, "\\.")}`));
  });

  it("reports one failed read as an error and still checks and reports the rest (--format github, --json file)", async () => {
    const id = (await findByInventoryPath(vc, "DC0/host/vmha-drift"))?.value;
    assert.ok(id);
    await runTask(
      vc,
      "ReconfigureComputeResource_Task",
      { type: "ClusterComputeResource", value: id },
      { spec: clusterSpecXml({ dasConfig: { hostMonitoring: "disabled" } }), modify: true },
      "change HA outside Pulumi",
    );
    fs.writeFileSync(failFlag, "");
    const json = path.join(s.dir, "drift.json");
    const r = drift("--format", "github", "--json", json);
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.trim().split("\n");
    assert.ok(
      lines.includes(
        '::warning title=drift%3A vmha-vsphere%3AHaSettings ha::vmha-vsphere:HaSettings ha: hostMonitoring "enabled" -> "disabled"',
      ),
      r.stdout,
    );
    assert.ok(
      lines.some((l) => l.startsWith("::warning title=drift%3A vmha-vsphere%3ACluster prod::")),
      r.stdout,
    );
    assert.match(r.stdout, /^::error title=drift check failed%3A .*probe::.*simulated read failure/m);
    assert.match(
      lines.at(-1) ?? "",
      /^2 of 3 resource\(s\) .* drifted; 1 could not be read .*pulumi up --refresh/,
    );
    const report = JSON.parse(fs.readFileSync(json, "utf8")) as {
      errors: Array<{ name: string }>;
      drifted: Array<{ name: string; changes: unknown[] }>;
    };
    assert.deepEqual(
      report.errors.map((e) => e.name),
      ["probe"],
    );
    assert.deepEqual(report.drifted.find((d) => d.name === "ha")?.changes, [
      { property: "hostMonitoring", secret: false, old: "enabled", new: "disabled" },
    ]);
  });
});
