// How the Pulumi side reaches a cluster's etcd. TLS material and the password are secrets.
import { z } from "zod";

const endpoint = z
  .string()
  .regex(
    /^(https?:\/\/)?[A-Za-z0-9.[\]:-]+:\d{1,5}$/,
    "must be host:port or http(s)://host:port, e.g. 127.0.0.1:2379",
  );

const connectionShape = {
  endpoints: z.array(endpoint).min(1, "needs at least one etcd endpoint"),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** PEM of the CA that signed etcd's server certificate (enables TLS). */
  caCert: z.string().includes("BEGIN CERTIFICATE", { message: "must be a PEM certificate" }).optional(),
  clientCert: z.string().includes("BEGIN CERTIFICATE", { message: "must be a PEM certificate" }).optional(),
  clientKey: z.string().includes("PRIVATE KEY", { message: "must be a PEM private key" }).optional(),
  insecure: z
    .boolean()
    .optional()
    .describe(
      "Allow sending the etcd password or fence secrets over plain HTTP (test systems only); " +
        "resources report it in their `insecureEtcd` output.",
    ),
  maxRequestBytes: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "etcd's --max-request-bytes (default 1.5 MiB): the whole cluster spec is one value and must fit in it.",
    ),
};

/** True when requests go over plain HTTP (no CA given, or an explicit http:// endpoint). */
export function isPlaintext(c: { endpoints: readonly string[]; caCert?: string | undefined }): boolean {
  return c.endpoints.some((e) => e.startsWith("http://") || (!e.includes("://") && !c.caCert));
}

export const EtcdConnectionSchema = z.strictObject(connectionShape).superRefine((c, ctx) => {
  if ((c.username === undefined) !== (c.password === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [c.username === undefined ? "username" : "password"],
      message: "etcd username and password must be given together",
    });
  }
  // Finding 10: an etcd password over plain HTTP is readable on the wire (and so is every
  // request made with the token it buys).
  if (c.password !== undefined && isPlaintext(c) && c.insecure !== true) {
    ctx.addIssue({
      code: "custom",
      path: ["caCert"],
      message:
        "an etcd username/password would be sent in clear text: give caCert (https, the CA that signed " +
        "etcd's certificate), or set insecure: true to accept it (test systems only)",
    });
  }
});

export type EtcdConnection = z.output<typeof EtcdConnectionSchema>;

/** Cluster names are etcd key prefixes: /vmha/<name>/. */
export const clusterName = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/,
    "lower-case letters, digits, '.', '_' or '-', at most 63 characters",
  );

/** Every KVM resource names its cluster and how to reach its store. */
export const clusterRefShape = {
  cluster: clusterName,
  etcd: EtcdConnectionSchema,
};

/** The output every KVM resource has: set (true) only when secrets travel over plain HTTP. */
export const insecureOutputShape = {
  insecureEtcd: z
    .boolean()
    .optional()
    .describe("True when credentials or secrets go to etcd over plain HTTP because etcd.insecure is set."),
};
