// Pure diff of a resource's stored state against its new inputs.
//
// Two rules keep routine edits from reading as replacements (review findings 1 and 7):
//  - set-like lists (declared per resource) are compared as sets: reordering one is no change;
//  - a value still unknown (preview) is a change but never a replacement when it could turn out
//    equal to the stored value: Pulumi calls diff again with the known value before it acts, and
//    a preview must not show a replace of a field the user did not change.
import { isDeepStrictEqual } from "node:util";
import { containsUnknown, UNKNOWN } from "./check";

export interface DiffInput {
  /** Input field names from the schema. */
  fields: ReadonlyArray<string>;
  olds: Readonly<Record<string, unknown>>;
  news: Readonly<Record<string, unknown>>;
  replaceOn: ReadonlyArray<string>;
  ignore: ReadonlyArray<string>;
  deleteBeforeReplace: boolean;
  /** Fields holding lists whose order means nothing. */
  setLike?: ReadonlyArray<string>;
}

export interface DiffOutcome {
  changes: boolean;
  changed: string[];
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/** An absent field and an explicit undefined/null are the same desired state. */
function normalize(v: unknown): unknown {
  return v === null ? undefined : v;
}

/** A stable text for any JSON-like value (object keys sorted), to sort set members by. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "undefined";
}

/** The list's members in a fixed order (for set comparison); anything else unchanged. */
export function asSet(v: unknown): unknown {
  if (!Array.isArray(v) || containsUnknown(v)) return v;
  return [...v].sort((a, b) => (canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0));
}

/**
 * Whether a value holding unknowns could, once known, equal `old`. Lenient on purpose: a key
 * missing next to unknowns may be a default not filled in yet; the real diff runs again later.
 */
export function couldEqual(old: unknown, next: unknown): boolean {
  if (next === UNKNOWN) return true;
  if (Array.isArray(next)) {
    if (!Array.isArray(old)) return false;
    if (next.length !== old.length) return false;
    return next.every((n, i) => couldEqual(old[i], n));
  }
  if (next && typeof next === "object") {
    if (!old || typeof old !== "object" || Array.isArray(old)) return false;
    const o = old as Record<string, unknown>;
    const n = next as Record<string, unknown>;
    return Object.keys(n).every((k) => n[k] === undefined || couldEqual(o[k], n[k]));
  }
  return isDeepStrictEqual(normalize(old), normalize(next));
}

export function computeDiff(d: DiffInput): DiffOutcome {
  const changed: string[] = [];
  const maybe = new Set<string>();
  for (const f of d.fields) {
    if (d.ignore.includes(f)) continue;
    const set = d.setLike?.includes(f) ?? false;
    const o = normalize(set ? asSet(d.olds[f]) : d.olds[f]);
    const n = normalize(set ? asSet(d.news[f]) : d.news[f]);
    if (containsUnknown(n)) {
      changed.push(f);
      // A set-like list with unknowns: only its length is certain.
      const possible = set
        ? Array.isArray(n) && Array.isArray(o)
          ? n.length === o.length
          : n === UNKNOWN
        : couldEqual(o, n);
      if (possible) maybe.add(f);
    } else if (!isDeepStrictEqual(o, n)) changed.push(f);
  }
  const replaces = changed.filter((f) => d.replaceOn.includes(f) && !maybe.has(f));
  return {
    changes: changed.length > 0,
    changed,
    replaces,
    deleteBeforeReplace: replaces.length > 0 && d.deleteBeforeReplace,
  };
}
