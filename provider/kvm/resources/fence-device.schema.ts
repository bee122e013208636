// kvm.FenceDevice: `pcs stonith create`. A fence-agents program and its parameters, and the hosts
// it powers off. Secret parameters (passwords) never enter the spec: they go to a separate etcd
// key the agents read (secrets/fence/<host>), and to Pulumi state only encrypted.
import { z } from "zod";
import { timeoutsInput } from "../../core/inputs";
import { defineSchema } from "../../core/resource";
import { clusterName, clusterRefShape, insecureOutputShape, isPlaintext } from "../connection.schema";

const param = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, "fence-agents option names are lower-case, e.g. ip, username, plug");

/**
 * fence-agents options that hold a secret: passwd, password, snmp_priv_passwd, an SNMP
 * community (fence_apc_snmp, fence_ibmblade), a cloud secret or API key, a token. Names that only
 * point at a secret (passwd_script, identity_file) are not secrets themselves.
 */
export const SECRET_OPTION = /passw(or)?d$|(^|[_-])(community|secret[_-]?key|api[_-]?key|token)$/;

export const fenceDeviceSchema = defineSchema({
  key: "kvm:FenceDevice",
  module: "provider/kvm/resources/fence-device",
  description:
    "A STONITH device: a fence-agents program that powers hosts off and confirms it (pcs stonith create).",
  inputs: z
    .strictObject({
      ...clusterRefShape,
      name: clusterName.describe("Device name, unique in the cluster."),
      agent: z
        .string()
        .regex(
          /^fence_[a-z0-9_]+$/,
          "must name a fence-agents program, e.g. fence_ipmilan, fence_redfish, fence_virsh",
        ),
      params: z.record(param, z.string()).default({}).describe("Options for every host (ip, username, ...)."),
      hosts: z
        .record(clusterName, z.record(param, z.string()))
        .refine((h) => Object.keys(h).length > 0, "must fence at least one host")
        .describe("The hosts it fences, each with its own options (for example plug=<domain>)."),
      secretParams: z.record(param, z.string()).default({}).describe("Secret options (password, ...)."),
      timeouts: timeoutsInput.describe('Per-operation deadlines, e.g. { create: "5m" }.'),
    })
    .superRefine((v, ctx) => {
      // Plain params go into the spec and Pulumi state in clear text: a password there leaks.
      const plain: Array<[string[], Record<string, string>]> = [
        [["params"], v.params],
        ...Object.entries(v.hosts).map(([h, p]): [string[], Record<string, string>] => [["hosts", h], p]),
      ];
      for (const [at, p] of plain) {
        for (const k of Object.keys(p)) {
          if (!SECRET_OPTION.test(k)) continue;
          ctx.addIssue({
            code: "custom",
            // The path of the map, not of the value: check() failures quote the value they are on.
            path: at,
            message: `${k} is a secret: move it to secretParams (kept out of the spec, encrypted in Pulumi state)`,
          });
        }
      }
      // Finding 10: a BMC password written over plain HTTP is readable by anyone on the path.
      if (Object.keys(v.secretParams).length > 0 && isPlaintext(v.etcd) && v.etcd.insecure !== true) {
        ctx.addIssue({
          code: "custom",
          path: ["secretParams"],
          message:
            "would be written to etcd in clear text (no etcd.caCert, or an http:// endpoint): give etcd.caCert, " +
            "or set etcd.insecure: true to accept it (test systems only)",
        });
      }
    }),
  outputs: z.strictObject({ ...insecureOutputShape }),
  replaceOn: ["cluster", "name"],
  secretInputs: ["etcd", "secretParams"],
});
