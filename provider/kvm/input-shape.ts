// Program inputs derived from the runtime's own spec schemas (provider/runtime/core/spec.ts), so a
// field the runtime adds or changes (timing.isolationBudgetMs, its defaults, its docs) reaches the
// Pulumi inputs without a second copy to keep in step. Inputs carry no defaults: an unset field
// stays unset in the spec (the agents apply the defaults), so read() returns what the program wrote.
import { z } from "zod";

type Unwrap<T> = T extends z.ZodDefault<infer U> ? U : T;
export type OptionalShape<S extends z.ZodRawShape> = { [K in keyof S]: z.ZodOptional<Unwrap<S[K]>> };

/** Every field of `shape` optional, its default removed, its description kept; unknown keys refused. */
export function optionalInputs<S extends z.ZodRawShape>(
  shape: S,
): z.ZodObject<OptionalShape<S>, z.core.$strict> {
  const out: Record<string, z.ZodType> = {};
  for (const [k, field] of Object.entries(shape)) {
    const f = field as z.ZodType;
    const inner = f instanceof z.ZodDefault ? (f.unwrap() as z.ZodType) : f;
    const opt = z.optional(inner);
    out[k] = f.description ? opt.describe(f.description) : opt;
  }
  return z.strictObject(out) as unknown as z.ZodObject<OptionalShape<S>, z.core.$strict>;
}
