// A fake `virsh` for HostResources tests: a node script whose domains live in a JSON file, which
// logs every call (argv, and stdin for create). Tests edit the JSON to stage libvirt's state.
import * as fs from "node:fs";
import * as path from "node:path";

export interface FakeDomain {
  id: string;
  state: string;
  /** domstate --reason */
  reason: string;
  persistent: boolean;
  /** What `virsh metadata <dom> <ns>` prints; null: "metadata not found". */
  marker: string | null;
}

export interface FakeState {
  domains: Record<string, FakeDomain>;
  nextId: number;
  /** argv[0] (list, create, metadata, ...) -> ms to sleep before answering. */
  sleep: Record<string, number>;
  /** argv[0] -> exit 1 with this stderr. */
  fail: Record<string, string>;
  /** create: the domain appears only after the sleep (libvirtd finishing after virsh was killed). */
  createLate?: boolean;
}

export class FakeVirsh {
  readonly bin: string;
  readonly stateFile: string;
  readonly logFile: string;
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.bin = path.join(dir, "virsh");
    this.stateFile = path.join(dir, "state.json");
    this.logFile = path.join(dir, "calls.log");
    this.write({ domains: {}, nextId: 1, sleep: {}, fail: {} });
    fs.writeFileSync(this.logFile, "");
    fs.writeFileSync(this.bin, `#!${process.execPath}\n${SCRIPT(this.stateFile, this.logFile)}`, {
      mode: 0o755,
    });
  }
  read(): FakeState {
    return JSON.parse(fs.readFileSync(this.stateFile, "utf8")) as FakeState;
  }
  write(s: FakeState): void {
    fs.writeFileSync(this.stateFile, JSON.stringify(s));
  }
  edit(fn: (s: FakeState) => void): void {
    const s = this.read();
    fn(s);
    this.write(s);
  }
  /** A running domain; marker for cluster/name, or a literal marker string, or null (none). */
  add(name: string, d: Partial<FakeDomain> & { cluster?: string } = {}): void {
    this.edit((s) => {
      const marker =
        d.marker !== undefined ? d.marker : `<resource cluster="${d.cluster ?? "c1"}" name="${name}"/>`;
      s.domains[name] = {
        id: d.id ?? String(s.nextId++),
        state: d.state ?? "running",
        reason: d.reason ?? "booted",
        persistent: d.persistent ?? false,
        marker,
      };
    });
  }
  calls(): { args: string[]; stdin?: string; file?: { xml: string; mode: number; dirMode: number } }[] {
    return fs
      .readFileSync(this.logFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as {
            args: string[];
            stdin?: string;
            file?: { xml: string; mode: number; dirMode: number };
          },
      );
  }
  clearCalls(): void {
    fs.writeFileSync(this.logFile, "");
  }
}

const SCRIPT = (stateFile: string, logFile: string) => `
const fs = require("node:fs");
const args = process.argv.slice(2).filter((a, i, all) => a !== "-q" && a !== "-c" && all[i - 1] !== "-c");
const st = () => JSON.parse(fs.readFileSync(${JSON.stringify(stateFile)}, "utf8"));
const save = (s) => fs.writeFileSync(${JSON.stringify(stateFile)}, JSON.stringify(s));
const out = (t) => process.stdout.write(t + "\\n");
const die = (t) => { process.stderr.write("error: " + t + "\\n"); process.exit(1); };
const noDom = (n) => die("failed to get domain '" + n + "'");
const cmd = args[0];
const log = (extra) => fs.appendFileSync(${JSON.stringify(logFile)}, JSON.stringify({ args, ...extra }) + "\\n");
async function main() {
  let stdin;
  // real virsh open()s its file argument: record what it would read, and the file's and its
  // directory's modes (a private directory, a private file)
  let file;
  if (cmd === "create" && args[1]) {
    const path = require("node:path");
    file = {
      xml: fs.readFileSync(args[1], "utf8"),
      mode: fs.statSync(args[1]).mode & 0o777,
      dirMode: fs.statSync(path.dirname(args[1])).mode & 0o777,
    };
  }
  log(stdin !== undefined ? { stdin } : file !== undefined ? { file } : {});
  if (cmd === "event") { setInterval(() => {}, 1 << 30); return; }
  let s = st();
  const ms = s.sleep[cmd] ?? 0;
  if (ms && !(cmd === "create" && s.createLate)) await new Promise((r) => setTimeout(r, ms));
  if (s.fail[cmd]) die(s.fail[cmd]);
  s = st();
  const d = s.domains[args[1]];
  switch (cmd) {
    case "list":
      if (args.includes("--persistent")) { for (const [n, x] of Object.entries(s.domains)) if (x.persistent) out(n); return; }
      for (const [n, x] of Object.entries(s.domains)) out(" " + (x.state === "shut off" ? "-" : x.id) + "    " + n + "    " + x.state);
      return;
    case "domstate":
      if (!d) noDom(args[1]);
      out(args.includes("--reason") ? d.state + " (" + d.reason + ")" : d.state);
      return;
    case "metadata":
      if (!d) noDom(args[1]);
      if (d.marker === null) die("metadata not found: Requested metadata element is not present");
      out(d.marker);
      return;
    case "create": {
      const xml = stdin ?? fs.readFileSync(args[1], "utf8");
      const name = /<name>\\s*([^<\\s]+)\\s*<\\/name>/.exec(xml)[1];
      const m = /<vmha:resource [^>]*\\/>/.exec(xml);
      const marker = m ? m[0].replace(/^<vmha:/, "<").replace(/ xmlns:vmha="[^"]*"/, "") : null;
      s.domains[name] = { id: String(s.nextId++), state: "running", reason: "booted", persistent: false, marker };
      save(s);
      if (s.createLate) await new Promise((r) => setTimeout(r, ms));
      out("Domain '" + name + "' created");
      return;
    }
    case "destroy":
    case "shutdown":
      if (!d) noDom(args[1]);
      if (d.persistent) d.state = "shut off"; else delete s.domains[args[1]];
      save(s);
      return;
    case "undefine":
      if (!d) noDom(args[1]);
      if (!d.persistent) die("cannot undefine transient domain");
      if (d.state === "shut off") delete s.domains[args[1]]; else d.persistent = false;
      save(s);
      return;
    case "migrate": {
      const d = s.domains[args[3]];
      if (d) { d.state = "paused"; d.reason = "migrating"; save(s); }
      die("operation failed: migration job: unexpectedly failed");
    }
    default:
      die("unsupported in the fake: " + cmd);
  }
}
main();
`;
