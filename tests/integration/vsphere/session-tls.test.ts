// Review finding 16, vSphere client: TLS failures that no retry fixes are terminal and say what to
// do; a CA file adds to the trust store instead of replacing it; the shared login does not die
// with the first caller's deadline; a late NotAuthenticated does not throw away a newer session;
// a provider process logs out when the engine stops it; ordinary names that look like ids are
// still looked up by name. On dassim (govmomi's simulator) and local sockets.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as tls from "node:tls";
import { isRetryable, TerminalError } from "../../../provider/core/errors";
import * as inventory from "../../../provider/vsphere/client/inventory";
import { retrieve } from "../../../provider/vsphere/client/props";
import { VimClient } from "../../../provider/vsphere/client/session";
import { type ConnectionSettings, connectionSettings } from "../../../provider/vsphere/client/settings";
import { runTask } from "../../../provider/vsphere/client/tasks";
import * as transport from "../../../provider/vsphere/client/transport";
import { envelope, type MoRef, text } from "../../../provider/vsphere/client/xml";
import { startVcsim, type Vcsim } from "../../support/vsphere/vcsim";

describe("TLS failures are terminal and say what to do", () => {
  it("a plain HTTP port: one attempt, names the port, not retried as transient", async (t) => {
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.end("not TLS");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const s = connectionSettings(
      { get: () => undefined },
      { VSPHERE_SERVER: `127.0.0.1:${port}`, VSPHERE_USER: "u", VSPHERE_PASSWORD: "p" },
    );
    const err = await transport.post(s, transport.agentFor(s), "<x/>", undefined).then(
      () => assert.fail("a plain HTTP server must not answer a TLS request"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TerminalError, String(err));
    assert.equal(isRetryable(err), false);
    assert.match((err as Error).message, /did not answer with TLS \(ERR_SSL_WRONG_VERSION_NUMBER\)/);
    assert.match((err as Error).message, /HTTPS port\? vCenter's SDK is on port 443 \(vmha:vsphereServer\)/);
    assert.equal(requests, 0);
  });

  it("each certificate and handshake code is terminal with advice; other errors are left to the retry layer", () => {
    const cases: Array<[string, RegExp]> = [
      ["CERT_NOT_YET_VALID", /is not valid yet .*check this machine's clock/],
      ["CERT_HAS_EXPIRED", /has expired .*renew it/],
      ["ERR_TLS_CERT_ALTNAME_INVALID", /does not name vc\.example/],
      ["UNABLE_TO_GET_ISSUER_CERT", /not trusted .*vmha:vsphereCaFile/],
      ["CERT_REVOKED", /not trusted/],
      ["SELF_SIGNED_CERT_IN_CHAIN", /not trusted/],
      ["ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", /TLS handshake failed .*TLS 1\.2/],
      ["ERR_SSL_WRONG_VERSION_NUMBER", /did not answer with TLS/],
    ];
    for (const [code, want] of cases) {
      assert.match(transport.tlsProblem("vc.example:443", code, "m") ?? "(retried)", want, code);
    }
    for (const code of ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", undefined]) {
      assert.equal(transport.tlsProblem("vc.example:443", code, "m"), undefined, String(code));
    }
  });

  it("a CA file adds to Node's trust store instead of replacing it", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const cas = transport.trustedCAs(pem);
    assert.equal(cas.at(-1), pem);
    for (const root of tls.rootCertificates)
      assert.ok(cas.includes(root), "every bundled root stays trusted");
    const s = { ...settingsFor("vc.example:443"), ca: pem };
    const agentCa = (transport.agentFor(s).options as { ca?: unknown }).ca;
    assert.ok(Array.isArray(agentCa) && agentCa.length === cas.length && agentCa.at(-1) === pem);
  });
});

/** ManagedObjectReference elements of an ArrayOfManagedObjectReference as MoRefs. */
function refs(v: unknown): MoRef[] {
  const inner = [v]
    .flat()
    .flatMap((x) => [(x as Record<string, unknown> | undefined)?.["ManagedObjectReference"] ?? []].flat());
  return inner.map((r) => {
    const o = r as Record<string, unknown>;
    return { type: String(o["@_type"]), value: String(o["#text"]) };
  });
}

function settingsFor(server: string): ConnectionSettings {
  return {
    url: `https://${server}/sdk`,
    server,
    user: "u",
    password: "p",
    allowUnverifiedSsl: false,
  };
}

describe("sessions on dassim", () => {
  let sim: Vcsim;
  const settings = () => connectionSettings({ get: (k) => sim.config[k] });
  before(async () => {
    sim = await startVcsim({ vms: 0, standaloneHosts: 1 });
  });
  after(async () => sim?.stop());

  async function sessionCount(): Promise<number> {
    const s = settings();
    const c = new VimClient(s, transport.agentFor(s));
    const sc = await c.session();
    const p = await retrieve(c, sc.sessionManager, ["sessionList"]);
    const n = [p["sessionList"]].flat().filter(Boolean);
    const list = (n[0] as Record<string, unknown> | undefined)?.["UserSession"];
    const count = [list ?? []].flat().length;
    await c.logout();
    return count - 1; // without this one
  }

  it("the shared login survives the first caller's deadline", async () => {
    const s = settings();
    const c = new VimClient(s, transport.agentFor(s));
    const first = new AbortController();
    const p1 = c.session(first.signal);
    const p2 = c.session();
    first.abort();
    await assert.rejects(p1, /deadline passed/);
    const sc = await p2;
    assert.ok(sc.sessionManager.value, "the second caller got its session");
    assert.equal(c.logins, 1);
    await c.logout();
  });

  it("a late NotAuthenticated for the old session keeps the newer one (no extra login)", async (t) => {
    const s = settings();
    const c = new VimClient(s, transport.agentFor(s));
    const sc = await c.session();
    // End the session on the server, as vCenter's idle timeout does; the client still holds it.
    await transport.post(
      s,
      transport.agentFor(s),
      envelope("Logout", sc.sessionManager, {}),
      (c as unknown as { cookie: string }).cookie,
    );
    // One call's answer (NotAuthenticated) arrives late: after another call has logged in again.
    const original = transport.post;
    const slow = "DC0/host/slow-answer";
    (transport as { post: typeof transport.post }).post = async (...args) => {
      const res = await original(...args);
      if (args[2].includes(slow)) await new Promise((r) => setTimeout(r, 400));
      return res;
    };
    t.after(() => {
      (transport as { post: typeof transport.post }).post = original;
    });
    const late = c.invoke("FindByInventoryPath", sc.searchIndex, { inventoryPath: slow });
    await new Promise((r) => setTimeout(r, 50));
    await c.invoke("FindByInventoryPath", sc.searchIndex, { inventoryPath: "DC0" });
    assert.equal(c.logins, 2);
    await late;
    assert.equal(c.logins, 2, "the late answer must not end the session made meanwhile");
    await c.logout();
  });

  it("a provider process logs out of vCenter when the engine stops it (SIGINT), then exits by the signal", async () => {
    const before = await sessionCount();
    const entry = path.resolve(__dirname, "..", "..", "..", "provider", "vsphere", "client", "session.js");
    const settingsJs = path.resolve(
      __dirname,
      "..",
      "..",
      "..",
      "provider",
      "vsphere",
      "client",
      "settings.js",
    );
    const script = `
      const { clientFor } = require(${JSON.stringify(entry)});
      const { connectionSettings } = require(${JSON.stringify(settingsJs)});
      const cfg = ${JSON.stringify(sim.config)};
      clientFor(connectionSettings({ get: (k) => cfg[k] })).session().then(() => {
        process.stdout.write("logged in\\n");
        setInterval(() => {}, 1000);
      });`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("logged in") && resolve());
      child.on("exit", (code) => reject(new Error(`child exited early (${code})`)));
    });
    assert.equal(await sessionCount(), before + 1, "the child holds one session");
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_c, sig) => r(sig)));
    child.kill("SIGINT");
    assert.equal(await exited, "SIGINT", "the signal still ends the process");
    assert.equal(await sessionCount(), before, "its session was logged out, not left to time out");
  });

  it("a standalone host named like an id (esx-01) is found by name, not reported missing", async () => {
    const s = settings();
    const c = new VimClient(s, transport.agentFor(s));
    const sc = await c.session();
    const hostFolder = (await c.invoke("FindByInventoryPath", sc.searchIndex, {
      inventoryPath: "DC0/host",
    })) as Record<string, unknown>;
    const folderRef: MoRef = { type: "Folder", value: String(hostFolder["#text"]) };
    // A standalone host whose name looks like an id: dassim names the host after hostName.
    const result = await runTask(
      c,
      "AddStandaloneHost_Task",
      folderRef,
      {
        spec: { hostName: "esx-01", userName: "root", password: "x", force: true },
        addConnected: true,
      },
      "add standalone host esx-01",
    );
    // vSphere returns the new ComputeResource; dassim (govmomi) returns the HostSystem.
    const r = result as Record<string, unknown>;
    const added: MoRef = { type: String(r["@_type"]), value: String(r["#text"]) };
    const hostRef =
      added.type === "HostSystem" ? added : refs((await retrieve(c, added, ["host"]))["host"])[0];
    assert.ok(hostRef, "the new compute resource has its host");
    const found = await inventory.host(c, "DC0", "esx-01");
    assert.deepEqual(found, hostRef);
    assert.equal(text((await retrieve(c, found, ["name"]))["name"]), "esx-01");
    await assert.rejects(inventory.host(c, "DC0", "esx-99"), /host "esx-99" not found .*looked it up at/);
    assert.equal(inventory.isMoid("HostSystem", "esx-01"), false);
    assert.equal(inventory.isMoid("HostSystem", hostRef.value), true);
    await c.logout();
  });
});
