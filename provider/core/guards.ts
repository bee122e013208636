// The rules that keep routine changes from destroying anything, applied to every resource by the
// dispatcher (entry.ts), not resource by resource:
//  - diff compares set-like lists as sets, and unknown values never force a replacement;
//  - defaults are filled in even when some values are unknown at preview (review finding 7b:
//    raw inputs without defaults made every defaulted field look changed);
//  - a change that would replace a data-bearing resource fails in check(), naming the field, the
//    data at risk and what to do, unless the inputs say `allowDestructiveReplace: true`.
import type { z } from "zod";
import { containsUnknown } from "./check";
import { computeDiff, type DiffOutcome } from "./diff";
import type { CheckFailure } from "./errors";
import { OPERATIONAL_INPUTS } from "./inputs";
import type { AnyObjectSchema, ResourceDefinition, State } from "./resource";

type Props = Record<string, unknown>;
type AnyDefinition = ResourceDefinition<AnyObjectSchema, AnyObjectSchema>;

/** The definition's dependent defaults (a no-op for resources without any). */
export function normalized(def: AnyDefinition, v: Props): Props {
  return def.normalize ? (def.normalize(v as z.output<AnyObjectSchema>) as Props) : v;
}

/**
 * Inputs that failed to parse only because of unknown values: each known field parsed on its own
 * (so it gets its default), unknown ones left as they are.
 */
export function fillKnown(def: AnyDefinition, news: Props): Props {
  const out: Props = {};
  for (const [k, field] of Object.entries(def.inputs.shape) as Array<[string, z.ZodType]>) {
    const v = news[k];
    if (containsUnknown(v)) out[k] = v;
    else {
      const r = field.safeParse(v);
      if (r.success) {
        if (r.data !== undefined) out[k] = r.data;
      } else if (v !== undefined) out[k] = v;
    }
  }
  return normalized(def, out);
}

/** Fields whose change replaces this resource (never an operational one such as `timeouts`). */
export function replaceFields(def: AnyDefinition): string[] {
  const all = Object.keys(def.inputs.shape);
  const fields = def.replaceOn ?? (def.update ? [] : all);
  return fields.filter((f) => !OPERATIONAL_INPUTS.includes(f));
}

export function diffFor(
  def: AnyDefinition,
  state: State<AnyObjectSchema, AnyObjectSchema>,
  news: Props,
): DiffOutcome {
  return computeDiff({
    fields: Object.keys(def.inputs.shape),
    olds: state.inputs as Props,
    news,
    replaceOn: replaceFields(def),
    ignore: def.ignoreDifferences?.(state, news as z.output<AnyObjectSchema>) ?? [],
    deleteBeforeReplace: def.deleteBeforeReplace ?? false,
    setLike: def.setLike,
  });
}

function shown(v: unknown): string {
  const t = JSON.stringify(v) ?? "nothing";
  return t.length > 60 ? `${t.slice(0, 60)}…` : t;
}

/** The type's name for messages: `hyperv:FailoverCluster` -> `FailoverCluster`. */
export function typeName(def: AnyDefinition): string {
  return def.key.split(":").pop() ?? def.key;
}

/**
 * One failure per field whose change would replace a data-bearing resource without consent.
 * Secret fields are named, never shown.
 */
export function replaceRefusals(
  def: AnyDefinition,
  olds: State<AnyObjectSchema, AnyObjectSchema>,
  news: Props,
): CheckFailure[] {
  if (!def.dataAtRisk || news.allowDestructiveReplace === true) return [];
  const d = diffFor(def, olds, news);
  const secret = new Set<string>(def.secretInputs ?? []);
  const type = typeName(def);
  return d.replaces.map((f) => {
    const was = secret.has(f) ? "" : ` (was ${shown((olds.inputs as Props)[f])}, now ${shown(news[f])})`;
    return {
      property: f,
      reason:
        `cannot change after creation${was}: the change would replace this ${type}, which deletes ${def.dataAtRisk}. ` +
        `Put the old value back (what exists stays as it is); to rebuild it on purpose, set allowDestructiveReplace: true on this ${type} (the data is lost); ` +
        `or declare a new ${type} beside this one`,
    };
  });
}
