// Field schemas shared by the Hyper-V resources (zod only: loaded by Pulumi programs).
import { z } from "zod";

export { allowDestructiveReplace, timeoutsInput as timeouts } from "../../core/inputs";

/** A cluster or node name as WSFC accepts it: a NetBIOS name. */
export const netbiosName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,15}$/, "must be a NetBIOS name: 1-15 letters, digits or hyphens")
  .refine((s) => !/^[0-9]+$/.test(s), "must not be only digits");

/** A node may be given as a short name or an FQDN. */
export const nodeName = z
  .string()
  .regex(
    /^[A-Za-z0-9-]{1,15}(\.[A-Za-z0-9-]+)*$/,
    "must be a host name (NetBIOS name, optionally with a domain)",
  );

export const ipv4 = z
  .string()
  .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, "must be an IPv4 address");

export const cidr = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12]\d|3[0-2])$/,
    "must be an IPv4 network in CIDR form, e.g. 10.0.0.0/24",
  );

/** Free text sent to PowerShell as data (any characters but NUL). */
export const text = z
  .string()
  .min(1, "must not be empty")
  .refine((s) => !s.includes("\u0000"), "must not contain NUL");

export function unique<T extends z.ZodType<string>>(item: T, what: string) {
  return z
    .array(item)
    .refine(
      (a) => new Set(a.map((s) => s.toLowerCase())).size === a.length,
      `${what} must be unique (case-insensitive)`,
    );
}

/** `adopt: true` takes over an object that already exists instead of creating it (pulumi import does not work for dynamic resources). */
export const adopt = z.boolean().default(false);

/** The same IPv4 addresses or networks in any order are the same setting. */
export function uniqueList<T extends z.ZodType<string>>(item: T, what: string) {
  return z.array(item).refine((a) => new Set(a).size === a.length, `${what} must not repeat an entry`);
}
