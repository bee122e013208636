// Runtime values of the simulated PowerShell: objects with (case-insensitive) properties, enums
// that ConvertTo-Json writes as integers, dates that Windows PowerShell 5.1 writes as /Date(ms)/,
// hashtables, script blocks and error records.
import type { Stmt } from "./parser";

export class PsObject {
  private readonly props = new Map<
    string,
    { name: string; get: () => unknown; set?: (v: unknown) => void }
  >();
  constructor(readonly typeName: string) {}
  prop(name: string, get: () => unknown, set?: (v: unknown) => void): this {
    this.props.set(name.toLowerCase(), { name, get, set });
    return this;
  }
  value(name: string, v: unknown): this {
    return this.prop(name, () => v);
  }
  has(name: string): boolean {
    return this.props.has(name.toLowerCase());
  }
  get(name: string): unknown {
    return this.props.get(name.toLowerCase())?.get();
  }
  set(name: string, v: unknown): void {
    const p = this.props.get(name.toLowerCase());
    if (!p)
      throw new PsError(`The property '${name}' cannot be found on this object.`, { id: "PropertyNotFound" });
    if (!p.set)
      throw new PsError(`'${p.name}' is a ReadOnly property.`, { id: "PropertyAssignmentException" });
    p.set(v);
  }
  names(): string[] {
    return [...this.props.values()].map((p) => p.name);
  }
}

export function obj(typeName: string, props: Record<string, unknown>): PsObject {
  const o = new PsObject(typeName);
  for (const [k, v] of Object.entries(props)) o.value(k, v);
  return o;
}

export class PsEnum {
  constructor(
    readonly type: string,
    readonly name: string,
    readonly value: number,
  ) {}
  toString(): string {
    return this.name;
  }
}

export class PsDate {
  constructor(readonly ms: number) {}
}

export class Hashtable {
  readonly entries = new Map<string, [string, unknown]>();
  set(k: string, v: unknown): void {
    this.entries.set(k.toLowerCase(), [k, v]);
  }
  get(k: string): unknown {
    return this.entries.get(k.toLowerCase())?.[1];
  }
}

export class ScriptBlock {
  constructor(readonly body: Stmt[]) {}
}

export class StringCollection {
  readonly items: string[] = [];
}

export class SecureString {
  constructor(readonly plain: string) {}
}

export interface ErrorInfo {
  id?: string;
  category?: string;
  target?: string;
  command?: string;
}

/** A PowerShell error; cmdlets throw it, `catch` sees it as `$_`. */
export class PsError extends Error {
  override readonly name = "PsError";
  id: string;
  category: string;
  target: string;
  command: string;
  constructor(message: string, info: ErrorInfo = {}) {
    super(message);
    this.id = info.id ?? "Microsoft.PowerShell.Commands.WriteErrorException";
    this.category = info.category ?? "NotSpecified";
    this.target = info.target ?? "";
    this.command = info.command ?? "";
  }
}

export const notFound = (what: string, target: string) =>
  new PsError(`${what} '${target}' was not found.`, {
    id: "ObjectNotFound",
    category: "ObjectNotFound",
    target,
  });

export const invalid = (message: string, target = "") =>
  new PsError(message, { id: "InvalidOperation", category: "InvalidOperation", target });

export function errorRecord(e: PsError): PsObject {
  return obj("System.Management.Automation.ErrorRecord", {
    Exception: obj("System.Exception", { Message: e.message }),
    FullyQualifiedErrorId: e.command ? `${e.id},${e.command}` : e.id,
    CategoryInfo: obj("CategoryInfo", {
      Category: new PsEnum("ErrorCategory", e.category, 0),
      TargetName: e.target,
    }),
    InvocationInfo: obj("InvocationInfo", {
      MyCommand: e.command ? obj("CmdletInfo", { Name: e.command }) : null,
    }),
  });
}

export function toText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean")
    return v === true ? "True" : v === false ? "False" : String(v);
  if (v instanceof PsEnum) return v.name;
  if (v instanceof PsObject) return v.typeName;
  if (v instanceof PsDate) return new Date(v.ms).toISOString();
  if (Array.isArray(v)) return v.map(toText).join(" ");
  if (v instanceof Hashtable) return "System.Collections.Hashtable";
  return String(v);
}

/** `-eq` semantics used by Where-Object: case-insensitive strings, enums by name or value. */
export function psEquals(a: unknown, b: unknown): boolean {
  if (a instanceof PsEnum)
    return typeof b === "number" ? a.value === b : a.name.toLowerCase() === toText(b).toLowerCase();
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (typeof a === "number") return a === Number(b);
  return a === b;
}
