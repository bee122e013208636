// One etcd client per connection per provider process (200 resources must not dial 200 times).
import { createHash } from "node:crypto";
import { Etcd3 } from "etcd3";
import { TerminalError } from "../core/errors";
import { type EtcdConnection, isPlaintext } from "./connection.schema";

const clients = new Map<string, Etcd3>();

function keyOf(c: EtcdConnection): string {
  return createHash("sha256").update(JSON.stringify(c)).digest("hex");
}

/**
 * Refuses a password over plain HTTP unless `insecure` is set. check() refuses it first with the
 * property; this guard also covers state written before the rule and direct calls.
 */
export function assertSecureEnough(c: EtcdConnection, subject: string): void {
  if ((c.username === undefined) !== (c.password === undefined)) {
    throw new TerminalError(`${subject}: etcd.username and etcd.password must be given together`);
  }
  if (c.password !== undefined && isPlaintext(c) && c.insecure !== true) {
    throw new TerminalError(
      `${subject}: etcd.password would be sent in clear text to ${c.endpoints.join(", ")}; give etcd.caCert ` +
        "(https), or set etcd.insecure: true to accept it (test systems only)",
    );
  }
}

/** `{ insecureEtcd: true }` when secrets (the password, or `secrets` here) go over plain HTTP. */
export function insecureReport(c: EtcdConnection, secrets = false): { insecureEtcd?: true } {
  return isPlaintext(c) && (c.password !== undefined || secrets) ? { insecureEtcd: true } : {};
}

export function etcdFor(c: EtcdConnection, subject = "etcd"): Etcd3 {
  const k = keyOf(c);
  const existing = clients.get(k);
  if (existing) return existing;
  assertSecureEnough(c, subject);
  const client = new Etcd3({
    hosts: c.endpoints.map((e) => (e.includes("://") ? e : `${c.caCert ? "https" : "http"}://${e}`)),
    ...(c.caCert
      ? {
          credentials: {
            rootCertificate: Buffer.from(c.caCert),
            ...(c.clientCert ? { certChain: Buffer.from(c.clientCert) } : {}),
            ...(c.clientKey ? { privateKey: Buffer.from(c.clientKey) } : {}),
          },
        }
      : {}),
    ...(c.username && c.password ? { auth: { username: c.username, password: c.password } } : {}),
    dialTimeout: 3000,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 5000 }),
  });
  clients.set(k, client);
  return client;
}

/** Closes every client (tests; the provider process otherwise just exits). */
export function closeAll(): void {
  for (const c of clients.values()) c.close();
  clients.clear();
}
