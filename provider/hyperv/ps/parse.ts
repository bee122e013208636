// Parsing what scripts print: one line of compressed JSON, read with zod. Windows PowerShell 5.1
// writes enums as integers and dates as "/Date(ms)/"; PowerShell 7 writes ISO dates. Pure.
import { z } from "zod";
import { TerminalError } from "../../core/errors";

/** The last non-empty line of stdout, parsed as JSON and checked against `schema`. */
export function parseOutput<S extends z.ZodType>(label: string, stdout: string, schema: S): z.output<S> {
  const line = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .pop();
  if (line === undefined) throw new TerminalError(`${label}: PowerShell printed nothing; expected JSON`);
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new TerminalError(
      `${label}: PowerShell printed ${JSON.stringify(line.slice(0, 200))}; expected JSON`,
    );
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new TerminalError(`${label}: unexpected result from PowerShell (${issues})`);
  }
  return r.data;
}

/** A list, whether PowerShell gave an array, one object, or nothing ($null). */
export function list<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]),
    z.array(item),
  );
}

/** An enum written as its name (PowerShell 7 with ToString()) or as its integer (5.1). */
export function psEnum<const N extends readonly [string, ...string[]]>(
  names: N,
  values: Readonly<Record<number, N[number]>>,
) {
  return z.preprocess((v) => {
    if (typeof v === "number") return values[v] ?? `unknown(${v})`;
    if (typeof v === "string") return names.find((n) => n.toLowerCase() === v.toLowerCase()) ?? v;
    return v;
  }, z.enum(names));
}

const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

/** A date as Windows PowerShell 5.1 ("/Date(ms)/") or PowerShell 7 (ISO 8601) writes it. */
export const psDate = z.preprocess((v) => {
  if (typeof v === "string") {
    const m = MS_DATE.exec(v);
    if (m) return new Date(Number(m[1]));
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return new Date(t);
  }
  return v;
}, z.date());

/** A string that may come back as $null. */
export const optString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
