// The script builder's quoting: any string arrives in PowerShell as literal data. Checked with
// the simulator's tokenizer and evaluator in-process (fast, thousands of cases); the same
// property through a real node-powershell session is in tests/integration/hyperv/injection.test.ts.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { cmd, emitJson, literal, raw, select, str, sw, wrap } from "../../../provider/hyperv/ps/script";
import { coreCmdlets } from "../../support/wsfc-sim/cmdlets-core";
import { seedWorld } from "../../support/wsfc-sim/fixture";
import { Interp } from "../../support/wsfc-sim/interp";
import { PsParseError, parse } from "../../support/wsfc-sim/parser";
import { nastyString } from "./arbitraries";

/** Runs one line in a fresh simulated session and returns what it printed. */
function run(line: string): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const interp = new Interp(coreCmdlets, { out: (l) => out.push(l), err: (l) => err.push(l) }, "5.1");
  interp.utf8Out = true;
  interp.runLine(parse(line), seedWorld());
  return { out, err };
}

describe("str(): literal data whatever the characters", () => {
  it("round-trips arbitrary strings as ConvertTo-Json input", () => {
    fc.assert(
      fc.property(nastyString, (s) => {
        const r = run(emitJson(raw(str(s))).text);
        assert.deepEqual(r.err, []);
        assert.equal(JSON.parse(r.out.at(-1)!), s);
      }),
      { numRuns: 2000 },
    );
  });

  it("binds arbitrary strings as one parameter value, never as syntax", () => {
    fc.assert(
      fc.property(nastyString, (s) => {
        const line = `${cmd("Get-WindowsFeature", { Name: s, ComputerName: "HV1" }).text} | ${select("Name").text} | ConvertTo-Json -Compress`;
        const r = run(line);
        assert.deepEqual(r.err, []);
        assert.deepEqual(JSON.parse(r.out.at(-1)!), { Name: s });
      }),
      { numRuns: 1000 },
    );
  });

  it("produces printable ASCII only (safe for any console code page), on one line", () => {
    fc.assert(
      fc.property(nastyString, (s) => {
        assert.match(str(s), /^[\x20-\x7e]*$/);
      }),
    );
  });

  it("uses plain single quotes with doubled quotes for printable ASCII", () => {
    assert.equal(str("it's"), "'it''s'");
    assert.equal(str("$(whoami); `n"), "'$(whoami); `n'");
    assert.equal(str(""), "''");
  });

  it("uses base64 UTF-8 for anything else, including the Unicode quote marks", () => {
    assert.equal(
      str("a\u2019b"),
      `([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${Buffer.from("a\u2019b").toString("base64")}')))`,
    );
    assert.match(str("line1\nline2"), /^\(\[Text\.Encoding\]::UTF8/);
  });

  it("refuses NUL and unpaired surrogates instead of mangling them", () => {
    assert.throws(() => str("a\u0000b"), /NUL character or an unpaired surrogate/);
    assert.throws(() => str("\ud800"), /NUL character or an unpaired surrogate/);
  });

  it("never echoes the refused value: it may be a secret (finding 15)", () => {
    assert.throws(
      () => str("P@ss\u0000word"),
      (e: unknown) => e instanceof Error && !e.message.includes("P@ss") && /value not shown/.test(e.message),
    );
  });
});

describe("script builder", () => {
  it("renders values, switches and arrays", () => {
    assert.equal(literal(["a", 1, true, null]), "@('a', 1, $true, $null)");
    assert.equal(literal([]), "@()");
    assert.equal(
      cmd("Set-X", { Force: sw(), Confirm: sw(false), Skip: undefined }).text,
      "Set-X -Force -Confirm:$false",
    );
  });

  it("refuses names that are not identifiers (they come from code, but a slip must not open a hole)", () => {
    assert.throws(() => cmd("Get-Cluster; rm", {}), /invalid cmdlet name/);
    assert.throws(() => cmd("Get-Cluster", { "Name '": "x" }), /invalid parameter name/);
    assert.throws(() => select("Name; $x"), /invalid property name/);
    assert.throws(() => literal(Number.NaN), /not a finite number/);
  });

  it("wraps a body with preferences and a catch block that reports the error as JSON", () => {
    const line = wrap(cmd("Get-WindowsFeature", { Name: "x", ComputerName: "NOPE" }));
    const r = run(line);
    assert.deepEqual(r.out, []);
    const report = JSON.parse(r.err[0]!) as Record<string, unknown>;
    assert.equal(report.vmhaError, true);
    assert.equal(report.command, "Get-WindowsFeature");
    assert.equal(report.category, "ConnectionError");
    assert.equal(report.target, "NOPE");
  });
});

describe("the simulator's tokenizer rejects what vmha never sends", () => {
  for (const line of [
    "Get-Cluster -Name x; $(whoami)",
    'Get-Cluster -Name "$(whoami)"',
    "Get-Cluster -Name 'a' `",
    "Get-Cluster -Name 'a' & calc",
    "Get-Cluster -Name 'unterminated",
    "Get-Cluster -Name 1MB",
    "Get-Cluster -Name x-y",
  ]) {
    it(JSON.stringify(line), () => assert.throws(() => parse(line), PsParseError));
  }

  it("refuses unknown commands and parameters loudly", () => {
    assert.throws(
      () => run("Invoke-Expression -Command 'calc'"),
      /does not implement the command 'Invoke-Expression'/,
    );
    assert.throws(
      () => run("Get-WindowsFeature -Name 'x' -ComputerName 'HV1' -Bogus 1"),
      /parameter -Bogus is not supported/,
    );
  });

  it("fails a method call on $null as PowerShell does", () => {
    const r = run(
      "try { $ErrorActionPreference = 'Stop'; $x = $null.ToString() } catch { [Console]::Error.WriteLine($_.Exception.Message) }",
    );
    assert.deepEqual(r.err, ["You cannot call a method on a null-valued expression."]);
  });

  it("refuses objects left in the output (PowerShell would print a table around the JSON)", () => {
    assert.throws(
      () => run("Get-WindowsFeature -Name 'x' -ComputerName 'HV1'"),
      /reached the output unformatted/,
    );
  });
});
