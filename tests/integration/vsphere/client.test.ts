// The vim25 client against the simulators: certificate checks on by default, a custom CA, one
// login per server+user reused across calls, a new login after the session ends, faults with
// the property vCenter rejected; and what stock vcsim drops (why the tests use dassim).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as tls from "node:tls";
import { retrieve } from "../../../provider/vsphere/client/props";
import { clientFor, VimClient } from "../../../provider/vsphere/client/session";
import { connectionSettings } from "../../../provider/vsphere/client/settings";
import { runTask } from "../../../provider/vsphere/client/tasks";
import { agentFor } from "../../../provider/vsphere/client/transport";
import { child } from "../../../provider/vsphere/client/xml";
import { clusterSpecXml, parseDasConfig } from "../../../provider/vsphere/mapping/das";
import { haToDas } from "../../../provider/vsphere/mapping/ha";
import { haSettingsSchema } from "../../../provider/vsphere/resources/ha-settings.schema";
import { startVcsim, type Vcsim } from "../../support/vsphere/vcsim";

function peerCertificatePem(server: string): Promise<string> {
  const [host, port] = server.split(":");
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host, port: Number(port), rejectUnauthorized: false }, () => {
      const der = sock.getPeerCertificate(true).raw;
      sock.end();
      const b64 = der.toString("base64").replace(/.{64}/g, "$&\n");
      resolve(`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
    });
    sock.on("error", reject);
  });
}

const CLUSTER = { type: "ClusterComputeResource", value: "" };

async function firstCluster(c: VimClient): Promise<string> {
  const sc = await c.session();
  const r = await c.invoke("FindByInventoryPath", sc.searchIndex, { inventoryPath: "DC0/host/DC0_C0" });
  return String((r as Record<string, unknown>)["#text"]);
}

describe("vim25 client on dassim", () => {
  let sim: Vcsim;
  const settings = (extra: Record<string, string> = {}) =>
    connectionSettings({ get: (k) => ({ ...sim.config, ...extra })[k] });

  before(async () => {
    sim = await startVcsim({ vms: 0 });
  });
  after(async () => sim?.stop());

  it("verifies the server certificate unless told not to", async () => {
    const s = settings({ "vmha:vsphereAllowUnverifiedSsl": "false" });
    const c = new VimClient(s, agentFor(s));
    await assert.rejects(c.session(), /certificate is not trusted .*vmha:vsphereCaFile/);
  });

  it("trusts a custom CA given as a file", async (t) => {
    const pem = await peerCertificatePem(sim.server);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-ca-"));
    const file = path.join(dir, "ca.pem");
    fs.writeFileSync(file, pem);
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const s = settings({ "vmha:vsphereAllowUnverifiedSsl": "false", "vmha:vsphereCaFile": file });
    const c = new VimClient(s, agentFor(s));
    await c.session(); // vcsim's certificate names 127.0.0.1, so the chain and the name both verify
    assert.equal(c.logins, 1);
  });

  it("logs in once per server and user, however many calls follow", async () => {
    const s = settings();
    const c = clientFor(s);
    assert.equal(clientFor(settings()), c, "the same settings give the same cached client");
    const id = await firstCluster(c);
    await Promise.all(Array.from({ length: 50 }, () => retrieve(c, { ...CLUSTER, value: id }, ["name"])));
    assert.equal(c.logins, 1);
  });

  it("concurrent reads of the same object share one round trip, but never across a change", async () => {
    const s = settings();
    const c = new VimClient(s, agentFor(s));
    const id = await firstCluster(c);
    const before = c.calls;
    await Promise.all(Array.from({ length: 20 }, () => retrieve(c, { ...CLUSTER, value: id }, ["name"])));
    assert.equal(c.calls - before, 1);
    const first = retrieve(c, { ...CLUSTER, value: id }, ["name"]);
    c.changed(); // as a finished reconfigure task does
    const second = retrieve(c, { ...CLUSTER, value: id }, ["name"]);
    assert.notEqual(first, second, "a read started after a change must not reuse an earlier answer");
    await Promise.all([first, second]);
  });

  it("logs in again when vCenter ended the session", async () => {
    const s = settings();
    const c = new VimClient(s, agentFor(s));
    const sc = await c.session();
    await c.invoke("Logout", sc.sessionManager, {});
    const id = await firstCluster(c);
    assert.match(id, /^domain-c\d+$/);
    assert.equal(c.logins, 2);
  });

  it("reports the property vCenter rejected, from the task's localized message", async () => {
    const c = clientFor(settings());
    const id = await firstCluster(c);
    await assert.rejects(
      runTask(
        c,
        "ReconfigureComputeResource_Task",
        { ...CLUSTER, value: id },
        { spec: clusterSpecXml({ dasConfig: { vmMonitoring: "sometimes" } }), modify: true },
        "bad reconfigure",
      ),
      /task bad reconfigure failed: .*dasConfig\.vmMonitoring/,
    );
  });

  it("reports an object deleted outside Pulumi as not found", async () => {
    const c = clientFor(settings());
    await assert.rejects(
      retrieve(c, { ...CLUSTER, value: "domain-c999" }, ["name"]),
      /domain-c999 does not exist/,
    );
  });
});

describe("stock vcsim", () => {
  let sim: Vcsim;
  before(async () => {
    sim = await startVcsim({ flavor: "vcsim", vms: 0 });
  });
  after(async () => sim?.stop());

  it("keeps only enabled and admissionControlEnabled of dasConfig (why the tests use dassim)", async () => {
    const s = connectionSettings({ get: (k) => sim.config[k] });
    const c = new VimClient(s, agentFor(s));
    const id = await firstCluster(c);
    const want = haToDas(
      haSettingsSchema.inputs.parse({
        clusterId: id,
        vmMonitoring: "vmOnly",
        isolationResponse: "shutdown",
        monitoringSensitivity: "low",
      }),
    );
    await runTask(
      c,
      "ReconfigureComputeResource_Task",
      { ...CLUSTER, value: id },
      { spec: clusterSpecXml({ dasConfig: want }), modify: true },
      "reconfigure",
    );
    const p = await retrieve(c, { ...CLUSTER, value: id }, ["configurationEx"]);
    const d = parseDasConfig(child(p["configurationEx"], "dasConfig"));
    assert.equal(d.enabled, true);
    assert.equal(d.vmMonitoring, undefined, "stock vcsim drops vmMonitoring");
    assert.equal(d.defaultVmSettings, undefined, "stock vcsim drops defaultVmSettings");
  });
});
