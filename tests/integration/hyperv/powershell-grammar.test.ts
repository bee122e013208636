// An independent check of the PowerShell vmha emits (issue 13 item 5): every script the Hyper-V
// resources send - all operations, run against the WSFC simulator with ordinary and hostile
// inputs, locally and through a remoting session - is parsed with the tree-sitter-powershell
// grammar (web-tree-sitter, its own wasm build; not vmha's code and not the simulator's parser):
// no syntax errors, and every user value is exactly one string literal (single-quoted, or the
// base64 form for non-ASCII text), never code. Plus a fast-check pass over the script builders
// with arbitrary strings.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as fc from "fast-check";
import type { Node, Parser } from "web-tree-sitter";
import { dispatchV1 } from "../../../provider/core/entry";
import { cmd, str, wrap } from "../../../provider/hyperv/ps/script";
import { readCsv } from "../../../provider/hyperv/scripts/storage";
import { addMonitoredEvent, applySettings, readGroup } from "../../../provider/hyperv/scripts/vm-role";
import { closeSessions } from "../../../provider/hyperv/session";
import { newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { grammar } from "./grammar";

const HOSTILE = [
  "web 'edge' $(Stop-Computer) `; \"x\" \n 東京 ✓",
  "a'; Stop-Computer; '",
  "x`$(Stop-Computer)",
  "‘quoted’ $env:PATH",
  "web[1]*?",
];
const ORDINARY = ["VM1", "W3SVC", "System", "Service Control Manager", "tier1"];

function literals(root: Node): Node[] {
  return root.descendantsOfType("string_literal").filter((n): n is Node => n !== null);
}

/** A single-quoted literal's value, or the text a base64 literal decodes to. */
function decoded(n: Node): string[] {
  const t = n.text;
  if (!t.startsWith("'")) return [];
  const v = t.slice(1, -1).replace(/''/g, "'");
  const out = [v];
  if (/^[A-Za-z0-9+/]+=*$/.test(v)) out.push(Buffer.from(v, "base64").toString("utf8"));
  return out;
}

/** User-value occurrences found and checked (reported, so a check that never matches shows). */
let checked = 0;

/** Problems of one script: syntax errors, user values not carried as exactly one literal. */
function problems(parser: Parser, script: string, values: readonly string[]): string[] {
  const tree = parser.parse(script);
  if (!tree) return ["no tree"];
  const out: string[] = [];
  if (tree.rootNode.hasError) {
    const bad = tree.rootNode.descendantsOfType(["ERROR"]).map((n) => n?.text.slice(0, 60));
    out.push(`syntax error near ${JSON.stringify(bad[0] ?? "(missing token)")}`);
  }
  const lits = literals(tree.rootNode);
  for (const v of values) {
    const encoded = str(v);
    if (!script.includes(encoded)) continue; // this script does not carry v
    const single = encoded.startsWith("'");
    for (let at = script.indexOf(encoded); at >= 0; at = script.indexOf(encoded, at + 1)) {
      const lit = single
        ? lits.find((l) => l.startIndex === at && l.endIndex === at + encoded.length)
        : lits.find((l) => l.startIndex > at && l.endIndex < at + encoded.length && decoded(l).includes(v));
      if (!lit) out.push(`${JSON.stringify(v)} at ${at} is not one string literal`);
      checked++;
    }
  }
  // Nothing a hostile value carries may become a command.
  for (const c of tree.rootNode.descendantsOfType("command_name"))
    if (c && /Stop-Computer/i.test(c.text)) out.push("a user value became the command Stop-Computer");
  return out;
}

describe("the PowerShell vmha emits, parsed by tree-sitter-powershell", () => {
  let parser: Parser;
  let sim: Sim;
  const record = path.join(require("node:os").tmpdir(), `vmha-ps-record-${process.pid}.jsonl`);
  before(async () => {
    parser = await grammar();
    sim = newSim({
      vms: Object.fromEntries([...ORDINARY.slice(0, 1), ...HOSTILE].map((v) => [v, 1])),
      remoting: { userName: "CONTOSO\\admin", password: "p@ss'word $(x)" },
    });
    sim.activate();
    process.env.WSFC_SIM_RECORD = record;
    fs.rmSync(record, { force: true });
  });
  after(async () => {
    await closeSessions();
    delete process.env.WSFC_SIM_RECORD;
    fs.rmSync(record, { force: true });
    sim.dispose();
  });

  const call =
    (config: Record<string, string>) =>
    (key: string, method: "create" | "read" | "update" | "delete" | "check", args: unknown[]) =>
      dispatchV1({ key, module: "", method, args, config: { get: (k) => config[k] } }) as Promise<
        Record<string, unknown>
      >;

  async function lifecycle(run: ReturnType<typeof call>, vm: string, words: readonly string[]) {
    const fcIn = {
      name: "HV-Cluster",
      nodes: ["HV1", "HV2"],
      staticAddresses: ["192.168.1.200"],
      quorum: { type: "disk", disk: words[1] },
    };
    const c = (await run("hyperv:FailoverCluster", "create", [{ ...fcIn, quorum: { type: "none" } }])) as {
      id: string;
      outs: Record<string, unknown>;
    };
    await run("hyperv:FailoverCluster", "read", [c.id, c.outs]);
    const cloud = {
      ...fcIn,
      nodes: ["HV1", "HV2", "HV3"],
      quorum: { type: "cloud", accountName: "vmhawitness" },
      cloudWitnessAccessKey: "key==",
      heartbeat: { sameSubnetDelayMs: 2000 },
      failuresToTolerate: 1,
    };
    await run("hyperv:FailoverCluster", "check", [c.outs, cloud]);
    const c2 = (await run("hyperv:FailoverCluster", "update", [c.id, c.outs, cloud])) as {
      outs: Record<string, unknown>;
    };
    const s = (await run("hyperv:StorageSpacesDirect", "create", [{ cluster: "HV-Cluster" }])) as {
      id: string;
      outs: Record<string, unknown>;
    };
    const v = (await run("hyperv:ClusterSharedVolume", "create", [
      { cluster: "HV-Cluster", friendlyName: "Vol1", sizeGb: 10, storagePool: "S2D*" },
    ])) as { id: string; outs: Record<string, unknown> };
    await run("hyperv:ClusterSharedVolume", "update", [
      v.id,
      v.outs,
      { cluster: "HV-Cluster", friendlyName: "Vol1", sizeGb: 20 },
    ]);
    await run("hyperv:StorageSpacesDirect", "update", [
      s.id,
      s.outs,
      { cluster: "HV-Cluster", poolFriendlyName: words[2], cacheState: "Disabled" },
    ]);
    const roleIn = {
      cluster: "HV-Cluster",
      vmName: vm,
      roleName: vm,
      preferredOwners: ["HV1"],
      antiAffinityClassNames: [words[4] ?? "x"],
      monitoredServices: [words[0]],
      monitoredEvents: [{ log: words[2], source: words[3], eventId: 7031 }],
      failback: { allowed: true, windowStartHour: 1, windowEndHour: 2 },
      failuresToTolerate: 1,
    };
    await run("hyperv:VmRole", "check", [{}, roleIn]);
    const r = (await run("hyperv:VmRole", "create", [roleIn])) as {
      id: string;
      outs: Record<string, unknown>;
    };
    await run("hyperv:VmRole", "read", [r.id, r.outs]);
    await run("hyperv:VmRole", "update", [
      r.id,
      r.outs,
      { ...roleIn, monitoredServices: [], monitoredEvents: [] },
    ]);
    const cau = (await run("hyperv:ClusterAwareUpdating", "create", [
      {
        cluster: "HV-Cluster",
        daysOfWeek: ["Tuesday"],
        weeksOfMonth: [2],
        startDate: "2026-12-08T03:00:00Z",
      },
    ])) as { id: string; outs: Record<string, unknown> };
    await run("hyperv:ClusterAwareUpdating", "update", [
      cau.id,
      cau.outs,
      { cluster: "HV-Cluster", daysOfWeek: ["Sunday"] },
    ]);
    await run("hyperv:ClusterAwareUpdating", "delete", [cau.id, cau.outs]);
    await run("hyperv:VmRole", "delete", [r.id, r.outs]);
    await run("hyperv:ClusterSharedVolume", "delete", [v.id, v.outs]);
    await run("hyperv:StorageSpacesDirect", "delete", [s.id, s.outs]);
    await run("hyperv:FailoverCluster", "delete", [c.id, c2.outs]);
  }

  it("every script of every operation parses, and every user value is one string literal", async () => {
    await lifecycle(call({}), ORDINARY[0]!, ORDINARY);
    for (const [i, vm] of HOSTILE.entries()) {
      const words = HOSTILE.map((_, j) => HOSTILE[(i + j) % HOSTILE.length]!);
      const remote: Record<string, string> =
        i % 2 === 1
          ? {
              "vmha:hypervComputerName": "HV1",
              "vmha:hypervUserName": "CONTOSO\\admin",
              "vmha:hypervPassword": "p@ss'word $(x)",
            }
          : {};
      await closeSessions();
      await lifecycle(call(remote), vm, words);
    }
    const lines = fs
      .readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as string);
    const all = [...ORDINARY, ...HOSTILE, "HV-Cluster", "192.168.1.200"];
    const bad: string[] = [];
    const commands = new Set<string>();
    for (const line of lines) {
      for (const p of problems(parser, line, all)) bad.push(`${p}\n    in: ${line.slice(0, 300)}`);
      for (const m of line.matchAll(/\b([A-Z][a-z]+-[A-Za-z]+)\b/g)) commands.add(m[1]!);
    }
    assert.deepEqual(bad, []);
    assert.ok(checked > lines.length, "user values were found in the scripts");
    assert.ok(
      !lines.some((l) => l.includes("p@ss") || l.includes("key==")),
      "a secret reached the script text",
    );
    for (const c of [
      "New-Cluster",
      "New-Volume",
      "Add-ClusterVirtualMachineRole",
      "Add-CauClusterRole",
      "Enable-ClusterStorageSpacesDirect",
      "Set-ClusterQuorum",
      "Invoke-Command",
      "New-PSSession",
      "Remove-Cluster",
    ])
      assert.ok(commands.has(c), `${c} was never emitted: the lifecycle no longer covers it`);
    process.stdout.write(
      `# tree-sitter-powershell: ${lines.length} scripts parsed (${commands.size} distinct cmdlets), ${all.length} user values, ${checked} occurrences each one string literal\n`,
    );
  });

  it("script builders with arbitrary strings: no syntax error, each value one literal", () => {
    const text = fc
      .string({ unit: "binary", maxLength: 30 })
      .filter((s) => s.length > 0 && !s.includes("\u0000"));
    let n = 0;
    fc.assert(
      fc.property(text, text, (a, b) => {
        const scripts = [
          wrap(cmd("Get-ClusterGroup", { Cluster: a, Name: b })),
          wrap(readGroup(a, b), "vmhaSession"),
          wrap(readCsv(a, b, a)),
          wrap(addMonitoredEvent("C", a, { log: a, source: b, eventId: 1 })),
          wrap(
            applySettings("C", a, { priority: "High", antiAffinityClassNames: [a, b], preferredOwners: [b] }),
          ),
        ];
        for (const s of scripts) {
          n++;
          assert.deepEqual(problems(parser, s, [a, b]), [], s);
        }
      }),
      { numRuns: 300, seed: 5 },
    );
    process.stdout.write(`# tree-sitter-powershell: ${n} generated scripts parsed\n`);
  });
});
