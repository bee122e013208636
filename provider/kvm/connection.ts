// One etcd client per connection per provider process (200 resources must not dial 200 times).
import { createHash } from "node:crypto";
import { Etcd3 } from "etcd3";
import type { EtcdConnection } from "./connection.schema";

const clients = new Map<string, Etcd3>();

function keyOf(c: EtcdConnection): string {
  return createHash("sha256").update(JSON.stringify(c)).digest("hex");
}

export function etcdFor(c: EtcdConnection): Etcd3 {
  const k = keyOf(c);
  const existing = clients.get(k);
  if (existing) return existing;
  if ((c.username === undefined) !== (c.password === undefined)) {
    throw new Error("etcd: username and password must be given together");
  }
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
