// Pure helpers for read(): WSFC returns lists in its own order and names in its own case; when
// the live value means the same as the stored one, keep the stored form so that refresh and
// preview show no difference where there is none.

const norm = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : JSON.stringify(v));

/** `live`, or `stored` when both hold the same items in any order (strings case-insensitive). */
export function sameSet<T>(live: readonly T[], stored: readonly T[] | undefined): T[] {
  if (!stored || stored.length !== live.length) return [...live];
  const a = live.map(norm).sort();
  const b = stored.map(norm).sort();
  return a.every((x, i) => x === b[i]) ? [...stored] : [...live];
}

/** `live`, or `stored` when both hold the same names in the same order, ignoring case. */
export function sameNames(live: readonly string[], stored: readonly string[] | undefined): string[] {
  if (!stored || stored.length !== live.length) return [...live];
  return live.every((x, i) => x.toLowerCase() === stored[i]!.toLowerCase()) ? [...stored] : [...live];
}

/** One name, keeping the stored spelling when it differs only in case. */
export function sameName(live: string, stored: string | undefined): string {
  return stored !== undefined && stored.toLowerCase() === live.toLowerCase() ? stored : live;
}
