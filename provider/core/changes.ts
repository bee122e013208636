// Which top-level properties differ between two property bags (engine event states, drift).
import { isDeepStrictEqual } from "node:util";

const INTERNAL = new Set(["__provider"]);

export function changedKeys(
  olds: Readonly<Record<string, unknown>> | undefined,
  news: Readonly<Record<string, unknown>> | undefined,
): string[] {
  const a = olds ?? {};
  const b = news ?? {};
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !INTERNAL.has(k) && !isDeepStrictEqual(a[k] ?? null, b[k] ?? null)).sort();
}

/**
 * A live value vmha has no name for (a newer platform's enum value). Read back as
 * `unknown:<value>`, never as a default: a default would hide the drift (review finding 16). No
 * input can hold it, so drift reports show it and the next `pulumi up` writes the declared value.
 */
export type UnknownLive = `unknown:${string}`;

export function unknownLive(v: string | number): UnknownLive {
  return `unknown:${v}`;
}
