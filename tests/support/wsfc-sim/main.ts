#!/usr/bin/env node
// wsfc-sim: a stand-in for `pwsh`/`powershell.exe` that speaks node-powershell's protocol and runs
// the PowerShell subset vmha's Hyper-V provider emits against a simulated set of Windows servers
// and failover clusters (state file: WSFC_SIM_STATE).
//
// node-powershell spawns `<exe> -NoLogo [options] -NoExit -Command -` and, for every invocation,
// writes five lines to stdin:
//   [Console]::Error.WriteLine("<delimiter>")
//   [Console]::Out.WriteLine("<delimiter>")
//   <the command>
//   [Console]::Error.WriteLine("<delimiter>")
//   [Console]::Out.WriteLine("<delimiter>")
// and reads stdout and stderr up to the second delimiter on each; any stderr text fails the call.
// Like `-Command -`, each line is one complete input. A line the simulator cannot parse, or a
// command, parameter or construct it does not implement, is refused on stderr (never ignored).
import * as fs from "node:fs";
import * as readline from "node:readline";
import { cauCmdlets } from "./cmdlets-cau";
import { clusterCmdlets } from "./cmdlets-cluster";
import { coreCmdlets } from "./cmdlets-core";
import { roleCmdlets } from "./cmdlets-roles";
import { storageCmdlets } from "./cmdlets-storage";
import { Interp, SimRefusal } from "./interp";
import { PsParseError, parse } from "./parser";
import { statePath, withWorld } from "./state";

const DELIMITER_LINE = /^\[Console\]::(Out|Error)\.WriteLine\("[0-9A-Za-z]{16}"\)$/;

function main(): void {
  const args = process.argv.slice(2);
  if (!(args.includes("-NoExit") && args.at(-2) === "-Command" && args.at(-1) === "-")) {
    process.stderr.write(
      `wsfc-sim: expected node-powershell's arguments (-NoExit -Command -), got ${args.join(" ")}\n`,
    );
    process.exit(2);
  }
  const file = statePath();
  const flavor = process.env.WSFC_SIM_FLAVOR === "7" ? "7" : "5.1";
  const interp = new Interp(
    { ...coreCmdlets, ...clusterCmdlets, ...storageCmdlets, ...roleCmdlets, ...cauCmdlets },
    { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) },
    flavor,
  );
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let hung = false;
  rl.on("line", (line) => {
    if (line.trim() === "" || hung) return;
    try {
      if (/[^ -~\t]/.test(line)) {
        throw new SimRefusal(
          "non-ASCII text on stdin (Windows PowerShell would read it with the console's OEM code page)",
        );
      }
      const stmts = parse(line);
      if (DELIMITER_LINE.test(line)) {
        // node-powershell's markers are [Console] calls: in ConstrainedLanguage mode they fail too.
        const languageMode = withWorld(file, (w) => w.languageMode);
        interp.runLine(stmts, {
          machines: {},
          validation: { failures: [], warnings: [] },
          clusters: {},
          ...(languageMode ? { languageMode } : {}),
        });
        return;
      }
      const fault = withWorld(file, (world) => {
        const f = world.faults ?? {};
        if (f.crash) {
          world.faults = { ...f, crash: f.crash - 1 };
          return "crash";
        }
        if (f.hang) {
          world.faults = { ...f, hang: f.hang - 1 };
          return "hang";
        }
        if (f.beforeCommand && line.includes(f.beforeCommand.match)) {
          world.faults = { ...f, beforeCommand: undefined };
          return "crash";
        }
        world.journal = [...(world.journal ?? []), line].slice(-300);
        if (process.env.WSFC_SIM_RECORD)
          fs.appendFileSync(process.env.WSFC_SIM_RECORD, `${JSON.stringify(line)}\n`);
        const after = f.afterCommand && line.includes(f.afterCommand.match) ? f.afterCommand.then : undefined;
        if (after) world.faults = { ...f, afterCommand: undefined };
        interp.runLine(stmts, world);
        return after; // the command ran; with `after`, only its reply is lost
      });
      if (fault === "crash") process.exit(3);
      if (fault === "hang") hung = true;
    } catch (e) {
      const kind =
        e instanceof PsParseError ? "parse error" : e instanceof SimRefusal ? "refused" : "internal error";
      process.stderr.write(`wsfc-sim: ${kind}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  });
  rl.on("close", () => process.exit(0));
  // node-powershell disposes a shell with SIGTERM. Handled, it ends the process between input
  // lines, never inside withWorld: killed there, the state lock stayed and every other shell
  // waited for it (seen when vmha dropped a shell the moment its first output arrived).
  process.on("SIGTERM", () => process.exit(143));
}

main();
