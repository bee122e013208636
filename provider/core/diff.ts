// Pure diff of a resource's stored state against its new inputs.
import { isDeepStrictEqual } from "node:util";
import { containsUnknown } from "./check";

export interface DiffInput {
  /** Input field names from the schema. */
  fields: ReadonlyArray<string>;
  olds: Readonly<Record<string, unknown>>;
  news: Readonly<Record<string, unknown>>;
  replaceOn: ReadonlyArray<string>;
  ignore: ReadonlyArray<string>;
  deleteBeforeReplace: boolean;
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

export function computeDiff(d: DiffInput): DiffOutcome {
  const changed: string[] = [];
  for (const f of d.fields) {
    if (d.ignore.includes(f)) continue;
    const o = normalize(d.olds[f]);
    const n = normalize(d.news[f]);
    if (containsUnknown(n) || !isDeepStrictEqual(o, n)) changed.push(f);
  }
  const replaces = changed.filter((f) => d.replaceOn.includes(f));
  return {
    changes: changed.length > 0,
    changed,
    replaces,
    deleteBeforeReplace: replaces.length > 0 && d.deleteBeforeReplace,
  };
}
