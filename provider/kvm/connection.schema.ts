// How the Pulumi side reaches a cluster's etcd. TLS material and the password are secrets.
import { z } from "zod";

const endpoint = z
  .string()
  .regex(
    /^(https?:\/\/)?[A-Za-z0-9.[\]:-]+:\d{1,5}$/,
    "must be host:port or http(s)://host:port, e.g. 127.0.0.1:2379",
  );

export const EtcdConnectionSchema = z.strictObject({
  endpoints: z.array(endpoint).min(1, "needs at least one etcd endpoint"),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** PEM of the CA that signed etcd's server certificate (enables TLS). */
  caCert: z.string().includes("BEGIN CERTIFICATE", { message: "must be a PEM certificate" }).optional(),
  clientCert: z.string().includes("BEGIN CERTIFICATE", { message: "must be a PEM certificate" }).optional(),
  clientKey: z.string().includes("PRIVATE KEY", { message: "must be a PEM private key" }).optional(),
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
