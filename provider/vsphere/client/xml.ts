// vim25 XML: encoding request values (every value escaped, xsi:type on polymorphic values, fields in
// the WSDL's sequence order) and reading responses parsed by fast-xml-parser. Pure: no IO.
import { XMLParser } from "fast-xml-parser";

/** A managed-object reference, e.g. `{ type: "ClusterComputeResource", value: "domain-c7" }`. */
export interface MoRef {
  readonly type: string;
  readonly value: string;
}

const MOREF = Symbol("moref");
const TYPED = Symbol("typed");

/** A value to encode. Objects encode their keys in insertion order, which must be the WSDL order. */
export type XmlValue =
  | string
  | number
  | boolean
  | undefined
  | { readonly [MOREF]: MoRef }
  | { readonly [TYPED]: { type: string; value: XmlValue } }
  | XmlObject
  | ReadonlyArray<XmlValue>;

/** A data object; `$type` becomes its xsi:type (needed wherever the declared type is a base type). */
export interface XmlObject {
  readonly $type?: string;
  readonly [field: string]: XmlValue;
}

export function ref(r: MoRef): XmlValue {
  return { [MOREF]: r };
}

/** A value with an explicit xsi:type, for fields declared as xsd:anyType (`typed("xsd:string", "x")`). */
export function typed(type: string, value: XmlValue): XmlValue {
  return { [TYPED]: { type, value } };
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;",
  );
}

/**
 * XML 1.0 cannot carry most control characters at all, escaped or not. The error names the
 * element, never the value: it may be a password (review finding 15, repro t5).
 */
function checkChars(s: string, field: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: this is the check for them.
  const bad = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.exec(s);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new TypeError(
      `the value of ${field} holds a control character XML cannot carry (U+${code} at position ${bad.index + 1}; value not shown); remove that character`,
    );
  }
  return s;
}

function scalar(v: string | number | boolean, field: string): string {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new TypeError(`${field}: cannot encode ${v} as a vim25 number`);
    return String(v);
  }
  return escapeXml(checkChars(String(v), field));
}

function isMoRef(v: unknown): v is { [MOREF]: MoRef } {
  return typeof v === "object" && v !== null && MOREF in v;
}

/** Encodes `<name>value</name>` (repeated for arrays, nothing for undefined). */
export function encode(name: string, v: XmlValue, typeAttr?: string): string {
  if (v === undefined) return "";
  if (Array.isArray(v)) return v.map((x) => encode(name, x as XmlValue, typeAttr)).join("");
  const attr = typeAttr ? ` xsi:type="${escapeXml(typeAttr)}"` : "";
  if (typeof v !== "object")
    return `<${name}${attr}>${scalar(v as string | number | boolean, name)}</${name}>`;
  if (TYPED in v) {
    const t = (v as { [TYPED]: { type: string; value: XmlValue } })[TYPED];
    return encode(name, t.value, t.type);
  }
  if (isMoRef(v)) {
    const r = v[MOREF];
    return `<${name}${attr} type="${escapeXml(r.type)}">${scalar(r.value, name)}</${name}>`;
  }
  const o = v as XmlObject;
  const t = o.$type ? ` xsi:type="${escapeXml(o.$type)}"` : attr;
  let body = "";
  for (const [k, x] of Object.entries(o)) if (k !== "$type") body += encode(k, x);
  return `<${name}${t}>${body}</${name}>`;
}

export function envelope(method: string, thisRef: MoRef, body: XmlObject): string {
  let inner = encode("_this", ref(thisRef));
  for (const [k, v] of Object.entries(body)) if (k !== "$type") inner += encode(k, v);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><${method} xmlns="urn:vim25">${inner}</${method}></soapenv:Body></soapenv:Envelope>`
  );
}

// ---- reading ----

/** A parsed XML element: child elements by name, `#text`, attributes as `@_name`. */
export type Node = { readonly [k: string]: unknown };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  textNodeName: "#text",
  processEntities: true,
  // Numeric character references too: Go's encoding/xml (govmomi, and so vcsim) writes `"` as
  // `&#34;`, which the five named XML entities alone leave undecoded in every string read back.
  htmlEntities: true,
});

/**
 * Parses a vim25 answer. vim25 never sends a DOCTYPE; one can only declare entities to expand
 * (review finding 16: with allowUnverifiedSsl or a hostile server, an entity bomb), so a document
 * with one is refused before it is parsed.
 */
export class XmlRefused extends Error {
  override readonly name = "XmlRefused";
}

export function parseXml(text: string): Node {
  if (/<!DOCTYPE/i.test(text)) {
    throw new XmlRefused(
      "the answer holds a DOCTYPE, which vim25 never sends (refused: it could declare entities)",
    );
  }
  return parser.parse(text) as Node;
}

/** Repeated elements parse as one object when there is a single one: always get a list. */
export function list(v: unknown): unknown[] {
  if (v === undefined || v === null || v === "") return [];
  return Array.isArray(v) ? v : [v];
}

export function child(n: unknown, name: string): unknown {
  return n && typeof n === "object" ? (n as Node)[name] : undefined;
}

export function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "object") {
    const t = (v as Node)["#text"];
    return t === undefined ? "" : String(t);
  }
  return String(v);
}

export function str(n: unknown, name: string): string | undefined {
  return text(child(n, name));
}

export function int(n: unknown, name: string): number | undefined {
  const t = str(n, name);
  if (t === undefined || t === "") return undefined;
  const v = Number(t);
  if (!Number.isFinite(v)) throw new TypeError(`vim25 field ${name} is not a number: ${JSON.stringify(t)}`);
  return v;
}

export function bool(n: unknown, name: string): boolean | undefined {
  const t = str(n, name);
  return t === undefined ? undefined : t === "true" || t === "1";
}

/** The xsi:type of an element, whatever prefix the server bound the schema-instance namespace to. */
export function xsiType(n: unknown): string | undefined {
  if (!n || typeof n !== "object") return undefined;
  for (const [k, v] of Object.entries(n)) {
    if (/^@_[^:]+:type$/.test(k) && typeof v === "string") return v.replace(/^[A-Za-z]+:/, "");
  }
  return undefined;
}

export function moref(v: unknown): MoRef | undefined {
  if (!v || typeof v !== "object") return undefined;
  const type = (v as Node)["@_type"];
  const value = text(v);
  return typeof type === "string" && value ? { type, value } : undefined;
}
