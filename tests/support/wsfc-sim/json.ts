// ConvertTo-Json as Windows PowerShell 5.1 / PowerShell 7 write it: enums as integers, dates as
// \/Date(ms)\/ (5.1) or ISO (7), objects below -Depth truncated to their text.
import { SimRefusal } from "./interp";
import { Hashtable, PsDate, PsEnum, PsObject, SecureString, StringCollection, toText } from "./values";

function jsonValue(v: unknown, depth: number, max: number, flavor: "5.1" | "7"): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (v instanceof PsEnum) return v.value;
  if (v instanceof PsDate) return flavor === "5.1" ? `/Date(${v.ms})/` : new Date(v.ms).toISOString();
  if (v instanceof SecureString) return "System.Security.SecureString";
  if (depth > max) return toText(v); // PowerShell truncates (5.1 silently) to the object's text.
  if (Array.isArray(v)) return v.map((x) => jsonValue(x, depth + 1, max, flavor));
  if (v instanceof StringCollection) return v.items.slice();
  if (v instanceof Hashtable) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v.entries.values()) o[k] = jsonValue(x, depth + 1, max, flavor);
    return o;
  }
  if (v instanceof PsObject) {
    const o: Record<string, unknown> = {};
    for (const k of v.names()) o[k] = jsonValue(v.get(k), depth + 1, max, flavor);
    return o;
  }
  throw new SimRefusal(`ConvertTo-Json: cannot serialize ${typeof v}`);
}

export function toJson(v: unknown, depth: number, flavor: "5.1" | "7", compress: boolean): string {
  const text = JSON.stringify(jsonValue(v, 0, depth, flavor), null, compress ? undefined : 4);
  // Windows PowerShell 5.1 escapes the slashes of /Date(…)/.
  return flavor === "5.1" ? text.replace(/"\/Date\((-?\d+)\)\/"/g, '"\\/Date($1)\\/"') : text;
}
