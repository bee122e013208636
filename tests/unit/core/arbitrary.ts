// fast-check arbitraries derived from a zod schema, so property tests run over every registered
// resource (including ones added later) with generated valid inputs. Covers the zod kinds the
// resource schemas use; refinements are honoured by filtering on the schema itself.
import * as fc from "fast-check";
import type { z } from "zod";

type Def = {
  type: string;
  checks?: Array<{ _zod: { def: Record<string, unknown> } }>;
  [k: string]: unknown;
};

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function checks(d: Def): Array<Record<string, unknown>> {
  return (d.checks ?? []).map((c) => c._zod.def);
}

function stringArb(d: Def): fc.Arbitrary<string> {
  if (d.format === "datetime") return fc.date({ noInvalidDate: true }).map((x) => x.toISOString());
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  let pattern: RegExp | undefined;
  for (const c of checks(d)) {
    if (c.check === "min_length") min = c.minimum as number;
    if (c.check === "max_length") max = c.maximum as number;
    if (c.check === "string_format" && c.format === "regex") pattern = c.pattern as RegExp;
    if (c.check === "string_format" && c.format === "datetime")
      return fc.date({ noInvalidDate: true }).map((x) => x.toISOString());
  }
  const includes = checks(d).find((c) => c.check === "string_format" && c.format === "includes");
  if (includes) return fc.constant(`x${String(includes.includes)}x`);
  if (pattern) return fc.stringMatching(pattern).filter((s) => s.length >= min && s.length <= max);
  // Printable text, including the characters that matter to quoting.
  return fc.string({
    minLength: Math.max(min, 1),
    maxLength: Math.max(Math.min(max, 12), min, 1),
    unit: "grapheme-ascii",
  });
}

function numberArb(d: Def): fc.Arbitrary<number> {
  let min = -1000;
  let max = 100_000;
  let int = false;
  for (const c of checks(d)) {
    if (c.check === "number_format") int = true;
    if (c.check === "greater_than") min = (c.value as number) + (c.inclusive ? 0 : 1);
    if (c.check === "less_than") max = (c.value as number) - (c.inclusive ? 0 : 1);
  }
  max = Math.min(max, min + 100_000);
  return int ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
}

/** An arbitrary of values the schema accepts (before its object-level refinements). */
export function arbitraryFor(schema: z.ZodType): fc.Arbitrary<unknown> {
  const d = defOf(schema);
  switch (d.type) {
    case "string":
      return stringArb(d);
    case "number":
      return numberArb(d);
    case "boolean":
      return fc.boolean();
    case "enum":
      return fc.constantFrom(...Object.values(d.entries as Record<string, string>));
    case "literal":
      return fc.constantFrom(...(d.values as unknown[]));
    case "optional":
      return fc.option(arbitraryFor(d.innerType as z.ZodType), { nil: undefined, freq: 2 });
    case "default":
      return fc.option(arbitraryFor(d.innerType as z.ZodType), { nil: undefined, freq: 2 });
    case "nullable":
      return fc.option(arbitraryFor(d.innerType as z.ZodType), { nil: null, freq: 4 });
    case "array": {
      let minLength = 0;
      let maxLength = 4;
      for (const c of checks(d)) {
        if (c.check === "min_length") minLength = c.minimum as number;
        if (c.check === "max_length") maxLength = Math.min(c.maximum as number, 4);
      }
      return fc.array(arbitraryFor(d.element as z.ZodType), {
        minLength,
        maxLength: Math.max(minLength, maxLength),
      });
    }
    case "object": {
      const shape = d.shape as Record<string, z.ZodType>;
      const parts: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(shape)) parts[k] = arbitraryFor(v);
      return fc.record(parts).map((o) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
        return out;
      });
    }
    case "union":
      return fc.oneof(...(d.options as z.ZodType[]).map(arbitraryFor));
    case "record":
      return fc
        .array(fc.tuple(arbitraryFor(d.keyType as z.ZodType), arbitraryFor(d.valueType as z.ZodType)), {
          maxLength: 3,
        })
        .map((pairs) => Object.fromEntries(pairs as Array<[string, unknown]>));
    case "pipe":
      return arbitraryFor(d.in as z.ZodType);
    case "unknown":
    case "any":
      return fc.constant("x");
    default:
      throw new Error(
        `arbitraryFor: zod type '${d.type}' is not covered; add it to tests/unit/core/arbitrary.ts`,
      );
  }
}

/**
 * Valid inputs: generated per field, then `fixup` (for fields whose validity a custom refinement
 * decides, e.g. well-formed XML), kept only when the whole schema (refinements too) accepts them.
 */
export function validInputs(
  schema: z.ZodType,
  fixup: (v: Record<string, unknown>) => Record<string, unknown> = (v) => v,
): fc.Arbitrary<Record<string, unknown>> {
  return (arbitraryFor(schema) as fc.Arbitrary<Record<string, unknown>>)
    .map(fixup)
    .filter((v) => schema.safeParse(v).success);
}
