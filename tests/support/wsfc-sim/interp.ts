// Evaluates parsed statements: pipelines, parameter binding against each cmdlet's declared
// parameters (unknown parameters are errors), member access, the few .NET statics the provider
// uses, try/catch, and PowerShell's output rules (only strings may reach stdout; an object left
// in the output would be printed as a table and corrupt the JSON the provider reads).
import type { Arg, Expr, Pipeline, Stmt } from "./parser";
import type { LanguageMode, World } from "./state";
import {
  errorRecord,
  Hashtable,
  obj,
  PsEnum,
  PsError,
  PsObject,
  ScriptBlock,
  StringCollection,
  toText,
} from "./values";

export type ParamKind = "string" | "strings" | "int" | "ints" | "switch" | "any" | "block" | "bool";

export interface Cmdlet {
  params: Record<string, ParamKind>;
  positional?: string[];
  /** The parameter that takes pipeline input, if any. */
  pipeline?: string;
  run(args: Bound, ctx: Ctx, input: unknown[] | undefined): unknown[];
}

export type Bound = Record<string, unknown>;

export interface Ctx {
  world: World;
  flavor: "5.1" | "7";
  vars: Map<string, unknown>;
  warn(message: string): void;
  /** Runs a script block with `$_` bound (child scope), returning its output. */
  runBlock(b: ScriptBlock, dollarUnder: unknown, isolated?: boolean): unknown[];
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** The caller's variables, seen through `$using:` inside an isolated (remote) script block. */
const USING = "\u0000using";

const COMMON: Record<string, ParamKind> = {
  erroraction: "string",
  warningaction: "string",
  warningvariable: "string",
  confirm: "switch",
  verbose: "switch",
};

/** Not a PowerShell error: the simulator refusing input vmha should never send. */
export class SimRefusal extends Error {
  override readonly name = "SimRefusal";
}

export class Interp {
  readonly vars = new Map<string, unknown>();
  utf8Out = false;
  private warnings: PsObject[] = [];

  constructor(
    private readonly cmdlets: Record<string, Cmdlet>,
    private readonly io: Io,
    readonly flavor: "5.1" | "7",
  ) {
    this.vars.set("erroractionpreference", "Continue");
    this.vars.set("warningpreference", "Continue");
  }

  /** Runs one input line against the world. */
  runLine(stmts: Stmt[], world: World): void {
    try {
      for (const s of stmts) this.emitTop(this.stmt(s, world, this.vars));
    } catch (e) {
      if (e instanceof PsError) this.io.err(this.formatError(e));
      else throw e;
    }
  }

  private emitTop(outputs: unknown[]): void {
    for (const o of outputs) {
      if (o === null || o === undefined) continue;
      if (typeof o !== "string") {
        throw new SimRefusal(
          `an object (${o instanceof PsObject ? o.typeName : typeof o}) reached the output unformatted; ` +
            "PowerShell would print it as text around the JSON: assign it to $null or convert it",
        );
      }
      this.io.out(this.encode(o));
    }
  }

  /** Without `[Console]::OutputEncoding = UTF8`, a Windows console turns non-ASCII into '?'. */
  private encode(s: string): string {
    return this.utf8Out ? s : s.replace(/[^ -~\t\r\n]/gu, "?");
  }

  private formatError(e: PsError): string {
    const head = e.command ? `${e.command} : ${e.message}` : e.message;
    return `${head}\n    + CategoryInfo          : ${e.category}: (${e.target}) [${e.command}], ${e.name}\n    + FullyQualifiedErrorId : ${e.id}${e.command ? `,${e.command}` : ""}`;
  }

  stmt(s: Stmt, world: World, vars: Map<string, unknown>): unknown[] {
    switch (s.k) {
      case "pipe":
        return this.pipeline(s.pipe, world, vars);
      case "assign": {
        const value = this.value(s.value, world, vars);
        this.assign(s.target, value, world, vars);
        return [];
      }
      case "try":
        try {
          const out: unknown[] = [];
          for (const b of s.body) out.push(...this.stmt(b, world, vars));
          return out;
        } catch (e) {
          if (!(e instanceof PsError)) throw e;
          // A catch block runs in the same scope as its try (a variable it sets stays set), with
          // $_ the error record until it ends.
          const had = vars.has("_");
          const before = vars.get("_");
          vars.set("_", errorRecord(e));
          try {
            const out: unknown[] = [];
            for (const b of s.handler) out.push(...this.stmt(b, world, vars));
            return out;
          } finally {
            if (had) vars.set("_", before);
            else vars.delete("_");
          }
        }
    }
  }

  private assign(target: Expr, value: unknown, world: World, vars: Map<string, unknown>): void {
    if (target.k === "var") {
      if (target.name.toLowerCase() === "null") return;
      if (["true", "false", "_"].includes(target.name.toLowerCase()))
        throw new SimRefusal(`cannot assign $${target.name}`);
      vars.set(target.name.toLowerCase(), value);
      return;
    }
    if (target.k === "static") {
      if (modeOf(world, vars) === "ConstrainedLanguage") throw constrained("set");
      if (target.type.toLowerCase() === "console" && target.member.toLowerCase() === "outputencoding") {
        this.utf8Out = value === UTF8;
        return;
      }
      throw new SimRefusal(`assignment to [${target.type}]::${target.member} is not supported`);
    }
    if (target.k === "member") {
      const o = this.expr(target.target, world, vars);
      if (modeOf(world, vars) === "ConstrainedLanguage") throw constrained("set");
      if (!(o instanceof PsObject))
        throw new PsError(`The property '${target.name}' cannot be found on this object.`);
      o.set(target.name, value);
      return;
    }
    throw new SimRefusal("invalid assignment target");
  }

  /** A pipeline used as a value: a lone expression keeps its shape (`@()` stays an empty array). */
  private value(p: Pipeline, world: World, vars: Map<string, unknown>): unknown {
    const only = p.elements[0];
    if (p.elements.length === 1 && only?.k === "expr") return this.expr(only.expr, world, vars);
    return collapse(this.pipeline(p, world, vars));
  }

  pipeline(p: Pipeline, world: World, vars: Map<string, unknown>): unknown[] {
    let data: unknown[] | undefined;
    for (const [i, el] of p.elements.entries()) {
      if (el.k === "expr") {
        const v = this.expr(el.expr, world, vars);
        data = Array.isArray(v) ? v : v instanceof StringCollection ? v.items.slice() : [v];
        continue;
      }
      data = this.command(el.name, el.args, i === 0 ? undefined : (data ?? []), world, vars);
    }
    return data ?? [];
  }

  private command(
    name: string,
    args: Arg[],
    input: unknown[] | undefined,
    world: World,
    vars: Map<string, unknown>,
  ): unknown[] {
    const def = this.cmdlets[name.toLowerCase()];
    if (!def) throw new SimRefusal(`the simulator does not implement the command '${name}'`);
    const bound = this.bind(name, def, args, world, vars);
    const warnings: PsObject[] = [];
    const ctx: Ctx = {
      world,
      flavor: this.flavor,
      vars,
      warn: (m) => warnings.push(new PsObject("WarningRecord").value("Message", m)),
      runBlock: (b, under, isolated) => {
        const scope = isolated ? new Map<string, unknown>() : new Map(vars);
        if (isolated) {
          scope.set("erroractionpreference", "Continue");
          scope.set("warningpreference", "Continue");
          scope.set(USING, vars); // what `$using:name` reads inside a remote script block
        }
        if (!isolated) scope.set("_", under);
        const out: unknown[] = [];
        for (const s of b.body) out.push(...this.stmt(s, world, scope));
        return out;
      },
    };
    let out: unknown[] = [];
    try {
      out = def.run(bound, ctx, input);
    } catch (e) {
      if (!(e instanceof PsError)) throw e;
      if (!e.command) e.command = canonical(name);
      const action = String(bound["erroraction"] ?? vars.get("erroractionpreference") ?? "Continue");
      if (action.toLowerCase() === "stop") throw e;
      if (action.toLowerCase() !== "silentlycontinue" && action.toLowerCase() !== "ignore")
        this.io.err(this.formatError(e));
    } finally {
      if (typeof bound["warningvariable"] === "string")
        vars.set(bound["warningvariable"].toLowerCase(), warnings);
      const wp = String(bound["warningaction"] ?? vars.get("warningpreference") ?? "Continue").toLowerCase();
      if (wp === "continue") for (const w of warnings) this.io.out(`WARNING: ${toText(w.get("Message"))}`);
      this.warnings = warnings;
    }
    return out;
  }

  private bind(name: string, def: Cmdlet, args: Arg[], world: World, vars: Map<string, unknown>): Bound {
    const kinds: Record<string, ParamKind> = { ...COMMON };
    for (const [k, v] of Object.entries(def.params)) kinds[k.toLowerCase()] = v;
    const bound: Bound = {};
    const positional = [...(def.positional ?? [])];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      let key: string;
      let value: unknown;
      if (a.k === "param") {
        key = a.name.toLowerCase();
        const kind = kinds[key];
        if (!kind) throw new SimRefusal(`${name}: parameter -${a.name} is not supported by the simulator`);
        if (kind === "switch") {
          value = a.colon ? this.expr(a.value!, world, vars) : true;
          if (typeof value !== "boolean")
            throw new SimRefusal(`${name}: -${a.name}: expects $true or $false`);
        } else {
          if (a.colon) value = this.expr(a.value!, world, vars);
          else {
            const next = args[i + 1];
            if (next?.k !== "pos") throw new SimRefusal(`${name}: parameter -${a.name} needs a value`);
            i++;
            value = this.expr(next.value, world, vars);
          }
        }
      } else {
        const p = positional.shift();
        if (!p) throw new SimRefusal(`${name}: unexpected positional argument`);
        key = p.toLowerCase();
        value = this.expr(a.value, world, vars);
      }
      if (key in bound) throw new SimRefusal(`${name}: parameter -${key} given twice`);
      bound[key] = coerce(name, key, kinds[key] ?? "any", value);
    }
    return bound;
  }

  expr(e: Expr, world: World, vars: Map<string, unknown>): unknown {
    switch (e.k) {
      case "lit":
        return e.v;
      case "var": {
        const n = e.name.toLowerCase();
        if (n === "true") return true;
        if (n === "false") return false;
        if (n === "null") return null;
        if (n.startsWith("env:")) return process.env[e.name.slice(4)] ?? null;
        if (n === "executioncontext") {
          const mode = modeOf(world, vars);
          return obj("System.Management.Automation.EngineIntrinsics", {
            SessionState: obj("System.Management.Automation.SessionState", {
              LanguageMode: new PsEnum("PSLanguageMode", mode, LANGUAGE_MODE_VALUES[mode]),
            }),
          });
        }
        if (n.startsWith("using:")) {
          const outer = vars.get(USING) as Map<string, unknown> | undefined;
          if (!outer)
            throw new SimRefusal(`$${e.name} outside Invoke-Command (PowerShell refuses $using: there)`);
          return outer.get(n.slice(6)) ?? null;
        }
        if (!vars.has(n)) return null;
        return vars.get(n);
      }
      case "array":
        return e.items.map((x) => this.expr(x, world, vars));
      case "subarray": {
        const out: unknown[] = [];
        for (const s of e.body) out.push(...this.stmt(s, world, vars));
        return out;
      }
      case "paren":
        return this.value(e.body, world, vars);
      case "hash": {
        const h = new Hashtable();
        for (const [k, p] of e.entries) h.set(k, this.value(p, world, vars));
        return h;
      }
      case "block":
        return new ScriptBlock(e.body);
      case "type":
        return { __type: e.name };
      case "static":
        if (modeOf(world, vars) === "ConstrainedLanguage") throw constrained("invoke");
        return staticMember(e.type, e.member);
      case "member":
        return member(this.expr(e.target, world, vars), e.name);
      case "invoke": {
        const args = e.args.map((a) => this.expr(a, world, vars));
        if (e.target.k === "type") {
          if (modeOf(world, vars) === "ConstrainedLanguage") throw constrained("invoke");
          return staticCall(e.target.name, e.name, args);
        }
        return this.method(this.expr(e.target, world, vars), e.name, args);
      }
    }
  }

  private method(target: unknown, name: string, args: unknown[]): unknown {
    const n = name.toLowerCase();
    if (target === null || target === undefined) {
      throw new PsError("You cannot call a method on a null-valued expression.", {
        id: "InvokeMethodOnNull",
        category: "InvalidOperation",
      });
    }
    if (n === "tostring" && args.length === 0) return toText(target);
    if (target === CONSOLE_OUT && n === "writeline") {
      this.io.out(this.encode(toText(args[0])));
      return null;
    }
    if (target === CONSOLE_ERR && n === "writeline") {
      this.io.err(this.encode(toText(args[0])));
      return null;
    }
    if (target === UTF8 && n === "getstring") {
      if (!(args[0] instanceof Uint8Array)) throw new PsError("GetString expects a byte array");
      return new TextDecoder("utf-8", { fatal: false }).decode(args[0]);
    }
    if (target instanceof StringCollection && n === "add") {
      target.items.push(toText(args[0]));
      return target.items.length - 1;
    }
    throw new SimRefusal(`method ${name}() is not supported by the simulator`);
  }

  lastWarnings(): PsObject[] {
    return this.warnings;
  }
}

const LANGUAGE_MODE_VALUES: Record<LanguageMode, number> = {
  FullLanguage: 0,
  RestrictedLanguage: 1,
  NoLanguage: 2,
  ConstrainedLanguage: 3,
};

/** The language mode where this code runs: a remote script block (it sees `$using:`) or the shell. */
function modeOf(world: World, vars: Map<string, unknown>): LanguageMode {
  const m = world.languageMode;
  return (vars.has(USING) ? m?.remote : m?.local) ?? "FullLanguage";
}

/** What PowerShell says when ConstrainedLanguage mode refuses a .NET member (no core type is used). */
function constrained(what: "invoke" | "set"): PsError {
  return what === "invoke"
    ? new PsError(
        "Cannot invoke method. Method invocation is supported only on core types in this language mode.",
        {
          id: "MethodInvocationNotSupportedInConstrainedLanguage",
          category: "InvalidOperation",
        },
      )
    : new PsError(
        "Cannot set property. Property setting is supported only on core types in this language mode.",
        {
          id: "PropertySetterNotSupportedInConstrainedLanguage",
          category: "InvalidOperation",
        },
      );
}

const CONSOLE_OUT = { __console: "out" };
const CONSOLE_ERR = { __console: "err" };
const UTF8 = { __encoding: "utf8" };

function staticMember(type: string, member: string): unknown {
  const t = type.toLowerCase();
  const m = member.toLowerCase();
  if (t === "console" && m === "out") return CONSOLE_OUT;
  if (t === "console" && m === "error") return CONSOLE_ERR;
  if ((t === "text.encoding" || t === "system.text.encoding") && m === "utf8") return UTF8;
  throw new SimRefusal(`[${type}]::${member} is not supported by the simulator`);
}

function staticCall(type: string, name: string, args: unknown[]): unknown {
  const t = type.toLowerCase();
  if ((t === "convert" || t === "system.convert") && name.toLowerCase() === "frombase64string") {
    const s = args[0];
    if (typeof s !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
      throw new PsError("The input is not a valid Base-64 string.", { id: "FormatException" });
    }
    return new Uint8Array(Buffer.from(s, "base64"));
  }
  throw new SimRefusal(`[${type}]::${name}() is not supported by the simulator`);
}

export function member(target: unknown, name: string): unknown {
  if (target === null || target === undefined) return null;
  const n = name.toLowerCase();
  if (Array.isArray(target)) {
    if (n === "count" || n === "length") return target.length;
    // Member enumeration: the property of every element.
    return collapse(target.map((t) => member(t, name)).filter((v) => v !== null));
  }
  if (target instanceof PsObject) return target.has(name) ? target.get(name) : null;
  if (target instanceof Hashtable) return target.get(name) ?? null;
  if (target instanceof StringCollection) return n === "count" ? target.items.length : null;
  if (typeof target === "string" && n === "length") return target.length;
  return null;
}

/** What `(...)` and assignment make of a pipeline's output. */
export function collapse(out: unknown[]): unknown {
  if (out.length === 0) return null;
  if (out.length === 1) return out[0];
  return out;
}

function canonical(name: string): string {
  return name
    .split("-")
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("-");
}

function coerce(cmd: string, key: string, kind: ParamKind, v: unknown): unknown {
  const bad = (want: string): never => {
    throw new SimRefusal(`${cmd}: -${key} expects ${want}, got ${JSON.stringify(toText(v))}`);
  };
  switch (kind) {
    case "string":
      if (typeof v !== "string") bad("a string");
      return v;
    case "strings": {
      const arr = v instanceof StringCollection ? v.items : Array.isArray(v) ? v : [v];
      if (!arr.every((x) => typeof x === "string")) bad("strings");
      return arr;
    }
    case "int":
      if (typeof v !== "number" || !Number.isInteger(v)) bad("an integer");
      return v;
    case "ints": {
      const arr = Array.isArray(v) ? v : [v];
      if (!arr.every((x) => typeof x === "number" && Number.isInteger(x))) bad("integers");
      return arr;
    }
    case "bool":
    case "switch":
      if (typeof v !== "boolean") bad("$true or $false");
      return v;
    case "block":
      if (!(v instanceof ScriptBlock)) bad("a script block");
      return v;
    default:
      return v;
  }
}
