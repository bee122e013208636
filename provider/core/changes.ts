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
