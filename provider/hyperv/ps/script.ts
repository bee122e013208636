// Pure PowerShell script building with safe quoting (no IO here; principle 1).
//
// node-powershell does NOT escape interpolated values, so every value that reaches a script goes
// through `literal()`:
//  - printable ASCII (0x20-0x7E) becomes a single-quoted string with every `'` doubled; inside
//    single quotes PowerShell expands nothing (`$(…)`, backticks and `;` are plain characters);
//  - anything else (newlines, control characters, any non-ASCII character, including the four
//    Unicode quote marks PowerShell also accepts as single quotes, U+2018-U+201B) is sent as base64
//    UTF-8 and decoded in the script. This also keeps non-ASCII data intact through a console whose
//    input code page is not UTF-8 (Windows PowerShell 5.1 reads stdin with the OEM code page).
// Scripts are one line: `-Command -` reads stdin line by line.
//
// Names that are not values (cmdlets, parameters, properties, variables) come from this code, never
// from users, and are still checked against a strict pattern so a mistake cannot open a hole.

/** A trusted fragment of script produced by this module (or a constant in the provider's code). */
export class Raw {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A switch parameter: `-Force` (true) or `-Force:$false` (false). */
export class Switch {
  constructor(readonly on: boolean) {}
}

export type PsValue = string | number | boolean | null | Raw | ReadonlyArray<PsValue>;

export const raw = (text: string): Raw => new Raw(text);
export const sw = (on = true): Switch => new Switch(on);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SAFE_ASCII = /^[\x20-\x7e]*$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CMDLET = /^[A-Za-z]+-[A-Za-z]+$/;

function ident(kind: string, name: string): string {
  if (!IDENT.test(name)) throw new Error(`script builder: invalid ${kind} name ${JSON.stringify(name)}`);
  return name;
}

/** Base64 of a string's UTF-8 bytes. */
export function base64Utf8(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

/** A PowerShell expression that evaluates to exactly the string `s`. */
export function str(s: string): string {
  if (s.includes("\u0000") || LONE_SURROGATE.test(s)) {
    // Lone surrogates cannot round-trip through UTF-8; NUL is refused by every WSFC object name.
    // The value itself is never echoed: it may be a secret (review finding 15).
    throw new Error(
      "script builder: a value holds a NUL character or an unpaired surrogate and cannot be sent to PowerShell (value not shown); remove that character",
    );
  }
  if (SAFE_ASCII.test(s)) return `'${s.replace(/'/g, "''")}'`;
  return `([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${base64Utf8(s)}')))`;
}

/** A PowerShell expression for a number, refusing NaN and infinities. */
export function num(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`script builder: ${n} is not a finite number`);
  return String(n);
}

/** Any value as a PowerShell expression. Arrays become `@(a, b)` (an empty one `@()`). */
export function literal(v: PsValue): string {
  if (v instanceof Raw) return v.text;
  if (v === null) return "$null";
  if (typeof v === "boolean") return v ? "$true" : "$false";
  if (typeof v === "number") return num(v);
  if (typeof v === "string") return str(v);
  return `@(${v.map(literal).join(", ")})`;
}

export type Params = Readonly<Record<string, PsValue | Switch | undefined>>;

/** `Verb-Noun -Param value …`; undefined parameters are left out. */
export function cmd(name: string, params: Params = {}): Raw {
  if (!CMDLET.test(name)) throw new Error(`script builder: invalid cmdlet name ${JSON.stringify(name)}`);
  const parts = [name];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    ident("parameter", k);
    if (v instanceof Switch) parts.push(v.on ? `-${k}` : `-${k}:$false`);
    else parts.push(`-${k}`, literal(v));
  }
  return new Raw(parts.join(" "));
}

/** `$name` */
export function variable(name: string): Raw {
  return new Raw(`$${ident("variable", name)}`);
}

/** `$name = <value>` */
export function assign(name: string, value: Raw | PsValue): Raw {
  return new Raw(`$${ident("variable", name)} = ${value instanceof Raw ? value.text : literal(value)}`);
}

/** `<target>.<prop> = <value>`, for cluster objects whose properties are set by assignment. */
export function setProperty(target: Raw, prop: string, value: PsValue): Raw {
  return new Raw(`${target.text}.${ident("property", prop)} = ${literal(value)}`);
}

/** `a | b | c` */
export function pipe(...stages: Raw[]): Raw {
  return new Raw(stages.map((s) => s.text).join(" | "));
}

/** `$null = <statement>`: discards output that would otherwise reach stdout as formatted text. */
export function quiet(stmt: Raw): Raw {
  return new Raw(`$null = ${stmt.text}`);
}

/** `(<expr>)` */
export function paren(expr: Raw): Raw {
  return new Raw(`(${expr.text})`);
}

/** `@(<expr>)`: always an array, even for zero or one object. */
export function array(expr: Raw): Raw {
  return new Raw(`@(${expr.text})`);
}

/** A hashtable `@{ a = …; b = … }`; keys come from code. */
export function hashtable(entries: Readonly<Record<string, Raw | PsValue>>): Raw {
  const body = Object.entries(entries)
    .map(([k, v]) => `${ident("key", k)} = ${v instanceof Raw ? v.text : literal(v)}`)
    .join("; ");
  return new Raw(`@{ ${body} }`);
}

/** A calculated property for Select-Object: `@{ Name = 'n'; Expression = { <expr> } }`. */
export function calculated(name: string, expr: string): Raw {
  return new Raw(`@{ Name = '${ident("property", name)}'; Expression = { ${expr} } }`);
}

/**
 * `Select-Object -Property 'a', 'b', @{…}`. Names are quoted: the same in PowerShell, and an
 * unquoted list is one no independent parser (tree-sitter-powershell) reads as PowerShell does.
 */
export function select(...props: Array<string | Raw>): Raw {
  const list = props.map((p) => (p instanceof Raw ? p.text : `'${ident("property", p)}'`)).join(", ");
  return new Raw(`Select-Object -Property ${list}`);
}

/** The statement that writes the script's result: one line of compressed JSON on stdout. */
export function emitJson(value: Raw): Raw {
  return new Raw(`ConvertTo-Json -Compress -Depth 6 -InputObject ${value.text}`);
}

/** Statements joined into one line. */
export function statements(...stmts: Raw[]): Raw {
  return new Raw(stmts.map((s) => s.text).join("; "));
}

/**
 * The error report written by every script's catch block: one JSON line on stderr naming the
 * failing command, the error id, its category and target, parsed by `errors.ts`.
 */
export const ERROR_REPORT =
  "[Console]::Error.WriteLine((ConvertTo-Json -Compress -InputObject @{ vmhaError = $true; " +
  "command = $_.InvocationInfo.MyCommand.Name; message = $_.Exception.Message; " +
  "id = $_.FullyQualifiedErrorId; category = $_.CategoryInfo.Category.ToString(); " +
  "target = $_.CategoryInfo.TargetName }))";

/** Settings each script starts with, so errors stop the script and no stray text reaches stdout. */
export const PREFERENCES =
  "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'; " +
  "$WarningPreference = 'SilentlyContinue'; $ConfirmPreference = 'None'";

/** The environment variable a secret named `name` reaches the shell through. */
export function secretEnv(name: string): string {
  return `VMHA_PS_SECRET_${ident("secret", name).toUpperCase()}`;
}

/**
 * A secret in a script: the variable `$vmhaSecret_<name>`, which `wrap()` fills from the shell's
 * environment. The value never appears in script text, so neither node-powershell's debug log nor
 * PowerShell's script-block logging on the node records it (review finding 15).
 */
export function secret(name: string): Raw {
  return new Raw(`$vmhaSecret_${ident("secret", name)}`);
}

/**
 * The full command sent for one operation: preferences, the body, and the error report. With a
 * remoting session variable, the body runs on the remote node and the report is written locally.
 * `secrets` names the secrets the body uses: read from the local environment, and handed into the
 * remote script block with `$using:`.
 */
export function wrap(body: Raw, session?: string, secrets: ReadonlyArray<string> = []): string {
  const local = secrets.map((n) => `${secret(n).text} = $env:${secretEnv(n)}; `).join("");
  const remote = secrets.map((n) => `${secret(n).text} = $using:vmhaSecret_${n}; `).join("");
  const inner = `${PREFERENCES}; ${body.text}`;
  const run = session
    ? `${local}Invoke-Command -Session $${ident("variable", session)} -ErrorAction Stop -ScriptBlock { ${remote}${inner} }`
    : `${local}${inner}`;
  return `try { ${run} } catch { ${ERROR_REPORT} }`;
}
