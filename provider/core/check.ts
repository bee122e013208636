// Turns a zod parse of a resource's inputs into Pulumi check() failures: one per bad field, with
// its property path and a reason a person can act on.
import type { z } from "zod";
import type { CheckFailure } from "./errors";

/** The string Pulumi puts in place of a value that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Path = ReadonlyArray<PropertyKey>;

export function formatPath(path: Path): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** Paths whose value is unknown during preview; failures under them are not the user's fault. */
export function unknownPaths(value: unknown, path: PropertyKey[] = [], out: string[] = []): string[] {
  if (value === UNKNOWN) out.push(formatPath(path));
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) unknownPaths(v, [...path, i], out);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) unknownPaths(v, [...path, k], out);
  }
  return out;
}

export function containsUnknown(value: unknown): boolean {
  return unknownPaths(value).length > 0;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: Path): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** One actionable sentence for a zod issue. */
function reasonFor(issue: z.core.$ZodIssue, input: unknown, secret: boolean): string {
  const v = valueAt(input, issue.path);
  const got = secret && v !== undefined ? "a value (hidden: secret field)" : describe(v);
  switch (issue.code) {
    case "invalid_type":
      return got === "nothing"
        ? `is required (expected ${issue.expected})`
        : `expected ${issue.expected}, got ${got}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}; got ${got}`;
    case "unrecognized_keys":
      return `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(", ")}: remove them or check the spelling`;
    case "too_small":
      return `${issue.message} (got ${got})`;
    case "too_big":
      return `${issue.message} (got ${got})`;
    default:
      return got === "nothing" ? issue.message : `${issue.message} (got ${got})`;
  }
}

export type CheckResult<T> =
  | { ok: true; value: T }
  | { ok: false; failures: CheckFailure[]; onlyUnknowns: boolean };

/** Parses inputs; failures caused only by values unknown during preview are dropped. */
export function checkInputs<S extends z.ZodType>(
  schema: S,
  input: unknown,
  secretFields: ReadonlyArray<string> = [],
): CheckResult<z.output<S>> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const unknown = unknownPaths(input);
  const failures: CheckFailure[] = [];
  for (const issue of parsed.error.issues) {
    const keys =
      issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of keys) {
      const property = formatPath(path) || "(inputs)";
      if (unknown.some((u) => property === u || property.startsWith(`${u}.`) || property.startsWith(`${u}[`)))
        continue;
      if (failures.some((f) => f.property === property)) continue;
      const secret = secretFields.includes(String(path[0]));
      failures.push({ property, reason: reasonFor(issue, input, secret) });
    }
  }
  return { ok: false, failures, onlyUnknowns: failures.length === 0 };
}
