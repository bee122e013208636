// Tokenizer and parser for exactly the PowerShell subset vmha's Hyper-V provider emits (and
// node-powershell's delimiter lines). Anything else is a parse error, loudly: an injected `$(…)`,
// a double-quoted string that would expand, a stray operator, a newline inside a statement.

export type Tok =
  | { t: "str"; v: string }
  | { t: "num"; v: number }
  | { t: "var"; v: string }
  | { t: "param"; v: string; colon: boolean }
  | { t: "word"; v: string }
  | { t: "type"; v: string }
  | { t: "op"; v: string };

export class PsParseError extends Error {
  override readonly name = "PsParseError";
}

const WORD = /[A-Za-z0-9_-]/;
const isQuote = (c: string | undefined): boolean =>
  c !== undefined && "'\u2018\u2019\u201a\u201b".includes(c);

export function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new PsParseError(`${msg} at column ${i + 1}: ${JSON.stringify(src.slice(i, i + 30))}`);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "\n" || c === "\r") fail("a newline inside a statement");
    if (c === "'") {
      let v = "";
      i++;
      for (;;) {
        if (i >= src.length) fail("unterminated single-quoted string");
        const ch = src[i]!;
        if (isQuote(ch)) {
          // PowerShell treats the Unicode single quotes as quote marks too.
          if (isQuote(src[i + 1])) {
            v += ch;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += ch;
        i++;
      }
      out.push({ t: "str", v });
      continue;
    }
    if (c === '"' || "\u201c\u201d\u201e".includes(c)) {
      const end = src.indexOf('"', i + 1);
      if (end < 0) fail("unterminated double-quoted string");
      const v = src.slice(i + 1, end);
      if (/[$`"\u201c\u201d\u201e]/.test(v)) fail("an expandable double-quoted string (not emitted by vmha)");
      out.push({ t: "str", v });
      i = end + 1;
      continue;
    }
    if (c === "$") {
      // `$env:NAME` (secrets reach scripts through the environment) and `$using:name` (a local
      // variable inside Invoke-Command's script block) are the only scoped forms vmha emits.
      const m = /^\$((?:env:|using:)?[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
      if (!m) fail("a '$' that is not a simple variable");
      out.push({ t: "var", v: m![1]! });
      i += m![0].length;
      continue;
    }
    if (c === "-" && /[A-Za-z]/.test(src[i + 1] ?? "")) {
      const m = /^-([A-Za-z][A-Za-z0-9]*)(:?)/.exec(src.slice(i))!;
      out.push({ t: "param", v: m[1]!, colon: m[2] === ":" });
      i += m[0].length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      if (WORD.test(src[i + m[0].length] ?? "")) fail("a number with a suffix (not emitted by vmha)");
      out.push({ t: "num", v: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    if (c === "[") {
      const m = /^\[([A-Za-z][A-Za-z0-9.]*)\]/.exec(src.slice(i));
      if (!m) fail("a '[' that is not a type literal");
      out.push({ t: "type", v: m![1]! });
      i += m![0].length;
      continue;
    }
    if (src.startsWith("@{", i) || src.startsWith("@(", i) || src.startsWith("::", i)) {
      out.push({ t: "op", v: src.slice(i, i + 2) });
      i += 2;
      continue;
    }
    if ("(){};|=,.".includes(c)) {
      out.push({ t: "op", v: c });
      i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && WORD.test(src[j]!)) j++;
      out.push({ t: "word", v: src.slice(i, j) });
      i = j;
      continue;
    }
    fail(`an unsupported character ${JSON.stringify(c)}`);
  }
  return out;
}

// ---- AST ----
export type Expr =
  | { k: "lit"; v: string | number }
  | { k: "var"; name: string }
  | { k: "array"; items: Expr[] }
  | { k: "subarray"; body: Stmt[] }
  | { k: "paren"; body: Pipeline }
  | { k: "hash"; entries: Array<[string, Pipeline]> }
  | { k: "block"; body: Stmt[] }
  | { k: "type"; name: string }
  | { k: "static"; type: string; member: string }
  | { k: "member"; target: Expr; name: string }
  | { k: "invoke"; target: Expr; name: string; args: Expr[] };

export type Arg = { k: "param"; name: string; value?: Expr; colon: boolean } | { k: "pos"; value: Expr };

export type Element = { k: "cmd"; name: string; args: Arg[] } | { k: "expr"; expr: Expr };

export interface Pipeline {
  elements: Element[];
}

export type Stmt =
  | { k: "pipe"; pipe: Pipeline }
  | { k: "assign"; target: Expr; value: Pipeline }
  | { k: "try"; body: Stmt[]; handler: Stmt[] };

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }
  private isOp(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t?.t === "op" && t.v === v;
  }
  private fail(msg: string): never {
    const t = this.peek();
    throw new PsParseError(`${msg} (at token ${this.i + 1}: ${t ? JSON.stringify(t) : "end of line"})`);
  }
  private expect(v: string): void {
    if (!this.isOp(v)) this.fail(`expected '${v}'`);
    this.i++;
  }

  script(): Stmt[] {
    const s = this.stmts();
    if (this.peek()) this.fail("unexpected token");
    return s;
  }

  stmts(): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      while (this.isOp(";")) this.i++;
      const t = this.peek();
      if (!t || (t.t === "op" && (t.v === "}" || t.v === ")"))) return out;
      out.push(this.stmt());
      const n = this.peek();
      if (n && !(n.t === "op" && (n.v === ";" || n.v === "}" || n.v === ")"))) this.fail("expected ';'");
    }
  }

  stmt(): Stmt {
    const t = this.peek();
    if (t?.t === "word" && t.v.toLowerCase() === "try") {
      this.i++;
      const body = this.block();
      const c = this.peek();
      if (c?.t !== "word" || c.v.toLowerCase() !== "catch") this.fail("expected 'catch'");
      this.i++;
      return { k: "try", body, handler: this.block() };
    }
    const start = this.i;
    if (t && t.t !== "word") {
      const target = this.expr();
      if (this.isOp("=")) {
        this.i++;
        if (target.k !== "var" && target.k !== "member" && target.k !== "static")
          this.fail("invalid assignment target");
        return { k: "assign", target, value: this.pipeline() };
      }
      this.i = start;
    }
    return { k: "pipe", pipe: this.pipeline() };
  }

  block(): Stmt[] {
    this.expect("{");
    const body = this.stmts();
    this.expect("}");
    return body;
  }

  pipeline(): Pipeline {
    const elements: Element[] = [this.element(true)];
    while (this.isOp("|")) {
      this.i++;
      const e = this.element(false);
      if (e.k !== "cmd") this.fail("only commands may follow '|'");
      elements.push(e);
    }
    return { elements };
  }

  element(first: boolean): Element {
    const t = this.peek();
    if (t?.t === "word") {
      if (!t.v.includes("-")) this.fail(`unknown command or keyword '${t.v}'`);
      this.i++;
      return { k: "cmd", name: t.v, args: this.args() };
    }
    if (!first) this.fail("expected a command");
    return { k: "expr", expr: this.commaList() };
  }

  args(): Arg[] {
    const out: Arg[] = [];
    for (;;) {
      const t = this.peek();
      if (!t || (t.t === "op" && [";", "|", "}", ")"].includes(t.v))) return out;
      if (t.t === "param") {
        this.i++;
        out.push(
          t.colon
            ? { k: "param", name: t.v, value: this.primary(), colon: true }
            : { k: "param", name: t.v, colon: false },
        );
        continue;
      }
      if (t.t === "word") {
        // A bare word is a string in argument mode; vmha emits them only for names from its code.
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.v))
          this.fail(`bare word argument '${t.v}' (vmha quotes every value)`);
        out.push({ k: "pos", value: this.bareList() });
        continue;
      }
      out.push({ k: "pos", value: this.bareList() });
    }
  }

  /** `Name, State, @{…}`: bare words and values after Select-Object -Property. */
  bareList(): Expr {
    const items: Expr[] = [];
    for (;;) {
      const t = this.peek();
      if (t?.t === "word" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.v)) {
        this.i++;
        items.push({ k: "lit", v: t.v });
      } else items.push(this.expr());
      if (!this.isOp(",")) break;
      this.i++;
    }
    return items.length === 1 ? items[0]! : { k: "array", items };
  }

  commaList(): Expr {
    const first = this.expr();
    if (!this.isOp(",")) return first;
    const items = [first];
    while (this.isOp(",")) {
      this.i++;
      items.push(this.expr());
    }
    return { k: "array", items };
  }

  expr(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp(".")) {
        this.i++;
        const n = this.peek();
        if (n?.t !== "word") this.fail("expected a member name after '.'");
        this.i++;
        if (this.isOp("(")) {
          e = { k: "invoke", target: e, name: n.v, args: this.callArgs() };
        } else e = { k: "member", target: e, name: n.v };
        continue;
      }
      return e;
    }
  }

  callArgs(): Expr[] {
    this.expect("(");
    const args: Expr[] = [];
    if (this.isOp(")")) {
      this.i++;
      return args;
    }
    for (;;) {
      args.push(this.expr());
      if (this.isOp(",")) {
        this.i++;
        continue;
      }
      this.expect(")");
      return args;
    }
  }

  primary(): Expr {
    const t = this.peek();
    if (!t) this.fail("expected a value");
    this.i++;
    switch (t.t) {
      case "str":
      case "num":
        return { k: "lit", v: t.v };
      case "var":
        return { k: "var", name: t.v };
      case "type": {
        if (!this.isOp("::")) return { k: "type", name: t.v };
        this.i++;
        const m = this.peek();
        if (m?.t !== "word") this.fail("expected a static member name after '::'");
        this.i++;
        if (this.isOp("("))
          return { k: "invoke", target: { k: "type", name: t.v }, name: m.v, args: this.callArgs() };
        return { k: "static", type: t.v, member: m.v };
      }
      case "op":
        switch (t.v) {
          case "(": {
            const body = this.pipeline();
            this.expect(")");
            return { k: "paren", body };
          }
          case "@(": {
            const body = this.stmts();
            this.expect(")");
            return { k: "subarray", body };
          }
          case "@{":
            return this.hash();
          case "{": {
            const body = this.stmts();
            this.expect("}");
            return { k: "block", body };
          }
        }
    }
    this.i--;
    return this.fail("expected a value");
  }

  hash(): Expr {
    const entries: Array<[string, Pipeline]> = [];
    for (;;) {
      while (this.isOp(";")) this.i++;
      if (this.isOp("}")) {
        this.i++;
        return { k: "hash", entries };
      }
      const key = this.peek();
      if (key?.t !== "word" && key?.t !== "str") this.fail("expected a hashtable key");
      this.i++;
      this.expect("=");
      entries.push([String(key.v), this.pipeline()]);
    }
  }
}

export function parse(line: string): Stmt[] {
  return new Parser(tokenize(line)).script();
}
