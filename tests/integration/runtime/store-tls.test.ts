// The etcd store over TLS with client certificates and etcd user/password authentication: the
// options a production cluster uses. Certificates are made with openssl for 127.0.0.1.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { StoreUnavailableError } from "../../../provider/runtime/env";
import { EtcdStore } from "../../../provider/runtime/store/etcd-store";
import { Heartbeat } from "../../../provider/runtime/store/heartbeat";
import { clusterPrefix, K } from "../../../provider/runtime/store/keys";
import { etcdBinary } from "../../support/etcd-bin";
import { freePort } from "../../support/ports";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-it-tls-"));
const f = (n: string) => path.join(dir, n);
let etcd: ChildProcess | undefined;
let endpoint = "";
const have = spawnSync("openssl", ["version"]).status === 0;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
}

function cert(name: string, ext: string): void {
  sh("openssl", [
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    f(`${name}.key`),
    "-out",
    f(`${name}.csr`),
    "-subj",
    `/CN=${name}`,
  ]);
  fs.writeFileSync(f(`${name}.ext`), ext);
  sh("openssl", [
    "x509",
    "-req",
    "-in",
    f(`${name}.csr`),
    "-CA",
    f("ca.pem"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-out",
    f(`${name}.pem`),
    "-extfile",
    f(`${name}.ext`),
  ]);
}

const etcdctl = (...args: string[]) =>
  spawnSync(
    "etcdctl",
    [
      "--endpoints",
      endpoint,
      "--cacert",
      f("ca.pem"),
      "--cert",
      f("client.pem"),
      "--key",
      f("client.key"),
      ...args,
    ],
    { encoding: "utf8" },
  );

before(async () => {
  if (!have) return;
  sh("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=vmha-test-ca",
  ]);
  cert("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  cert("client", "extendedKeyUsage=clientAuth\n");
  const client = await freePort();
  const peer = await freePort();
  endpoint = `https://127.0.0.1:${client}`;
  etcd = spawn(
    etcdBinary(),
    [
      "--data-dir",
      f("data"),
      "--listen-client-urls",
      endpoint,
      "--advertise-client-urls",
      endpoint,
      "--listen-peer-urls",
      `http://127.0.0.1:${peer}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${peer}`,
      "--initial-cluster",
      `default=http://127.0.0.1:${peer}`,
      "--cert-file",
      f("server.pem"),
      "--key-file",
      f("server.key"),
      "--trusted-ca-file",
      f("ca.pem"),
      "--client-cert-auth",
      "--logger",
      "zap",
      "--log-outputs",
      f("etcd.log"),
    ],
    { stdio: "ignore" },
  );
  const deadline = Date.now() + 20000;
  while (etcdctl("endpoint", "health").status !== 0) {
    if (Date.now() > deadline) throw new Error("TLS etcd not healthy");
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const a of [
    ["user", "add", "root:rootpw"],
    ["user", "add", "vmha:agentpw"],
    ["role", "add", "vmha-agent"],
    ["role", "grant-permission", "vmha-agent", "--prefix=true", "readwrite", "/vmha/"],
    ["role", "grant-permission", "vmha-agent", "--prefix=true", "readwrite", "/vmha-events/"],
    ["user", "grant-role", "vmha", "vmha-agent"],
    ["auth", "enable"],
  ]) {
    const r = etcdctl(...a);
    if (r.status !== 0) throw new Error(`etcdctl ${a.join(" ")}: ${r.stderr}`);
  }
});

after(async () => {
  if (etcd && etcd.exitCode === null) {
    const p = etcd;
    await new Promise<void>((r) => {
      p.once("exit", () => r());
      p.kill("SIGKILL");
    });
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

function beat(host: string, password: string): Heartbeat {
  return new Heartbeat({
    endpoints: [endpoint],
    host,
    presenceKey: `${clusterPrefix("tls")}${K.lease(host)}`,
    presenceValue: (lease) => JSON.stringify({ host, lease }),
    intervalMs: 250,
    now: () => performance.now(),
    callTimeoutMs: 2000,
    tls: { caFile: f("ca.pem"), certFile: f("client.pem"), keyFile: f("client.key") },
    auth: { username: "vmha", password },
  });
}

test("mutual TLS + user/password: heartbeat, read, election, commit", { skip: !have }, async () => {
  const hb = beat("a", "agentpw");
  const s = new EtcdStore({
    host: "a",
    cluster: "tls",
    endpoints: [endpoint],
    leaseId: () => hb.status().id,
    callTimeoutMs: 2000,
    tls: { caFile: f("ca.pem"), certFile: f("client.pem"), keyFile: f("client.key") },
    auth: { username: "vmha", password: "agentpw" },
  });
  try {
    await hb.join(1000); // grants the lease and puts the presence key
    hb.start(); // renews it over the keepalive streams
    const before = hb.status().lastAckSentAt;
    for (let i = 0; i < 40 && hb.status().lastAckSentAt === before; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(hb.status().lastAckSentAt > before, "a renewal over TLS was acknowledged");
    const v = await s.read();
    assert.deepEqual(v.leases, ["a"]);
    assert.equal(await s.campaign(true), true);
    assert.ok(
      await s.commitManager(0, {
        version: 1,
        specRevision: 0,
        hosts: {},
        resources: {},
        seq: 1,
        handledRequests: [],
      }),
    );
    await s.appendEvent({ message: "hello over TLS" });
  } finally {
    await s.close(true);
    await hb.revoke();
    hb.close();
  }
});

test("a wrong password is refused (store unavailable, with the reason)", { skip: !have }, async () => {
  const s = new EtcdStore({
    host: "b",
    cluster: "tls",
    endpoints: [endpoint],
    callTimeoutMs: 2000,
    tls: { caFile: f("ca.pem"), certFile: f("client.pem"), keyFile: f("client.key") },
    auth: { username: "vmha", password: "wrong" },
  });
  const hb = beat("b", "wrong");
  try {
    await assert.rejects(
      s.read(),
      (e: unknown) => e instanceof StoreUnavailableError && /auth|password/i.test(e.message),
    );
    await assert.rejects(
      hb.join(1000),
      (e: unknown) => e instanceof Error && /auth|password/i.test(e.message),
    );
  } finally {
    await s.close(false);
    hb.close();
  }
});
