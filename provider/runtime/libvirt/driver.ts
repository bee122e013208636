// VM lifecycle on one host's libvirtd. Domains are created transient from the XML in the spec,
// so any host can start any VM and nothing is left defined after a stop or a power loss. A
// persistent definition found for a managed VM (someone ran `virsh define`) is removed on stop.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeFailure } from "../proc/run";
import { parseStateReason } from "./pause";
import { isNoDomain, LibvirtError, Virsh, type VirshOptions } from "./virsh";

export type DomainState =
  | "running"
  | "blocked"
  | "paused"
  | "shutdown"
  | "shut off"
  | "crashed"
  | "pmsuspended"
  | "in shutdown"
  | "idle"
  | "absent";

export interface DomainInfo {
  name: string;
  state: DomainState;
  persistent: boolean;
  /** libvirt's id of an active domain ("-" when inactive): new with every start of it. */
  id?: string;
}

/** The vmha marker in a domain's metadata (see agent/resources.ts withMarker). */
export interface DomainMarker {
  cluster: string | undefined;
  name: string | undefined;
}

export function isActive(s: DomainState): boolean {
  return (
    s === "running" ||
    s === "blocked" ||
    s === "paused" ||
    s === "in shutdown" ||
    s === "idle" ||
    s === "pmsuspended"
  );
}

export class LibvirtDriver {
  readonly virsh: Virsh;
  constructor(readonly opts: VirshOptions) {
    this.virsh = new Virsh(opts);
  }

  get uri(): string {
    return this.opts.uri;
  }

  /** Every domain libvirt knows on this host, active or defined. */
  async list(): Promise<DomainInfo[]> {
    const [all, persistent] = await Promise.all([
      this.virsh.run(["list", "--all"]),
      this.virsh.run(["list", "--all", "--persistent", "--name"]),
    ]);
    const pers = new Set(
      persistent
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean),
    );
    const out: DomainInfo[] = [];
    for (const line of all.split("\n")) {
      const m = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
      if (!m) continue;
      const name = m[2]!;
      out.push({ name, state: m[3] as DomainState, persistent: pers.has(name), id: m[1]! });
    }
    return out;
  }

  async state(name: string): Promise<DomainState> {
    const r = await this.virsh.tryRun(["domstate", name]);
    if (r.code !== 0) {
      if (isNoDomain(r.stderr)) return "absent";
      throw new LibvirtError(this.uri, name, `domstate: ${r.stderr.trim() || `exit ${r.code}`}`);
    }
    return r.stdout.trim() as DomainState;
  }

  /** `virsh domstate --reason`: "paused (I/O error)" -> { state: "paused", reason: "I/O error" }. */
  async stateReason(name: string): Promise<{ state: DomainState; reason: string }> {
    const r = await this.virsh.tryRun(["domstate", name, "--reason"]);
    if (r.code !== 0) {
      if (isNoDomain(r.stderr)) return { state: "absent", reason: "" };
      throw new LibvirtError(this.uri, name, `domstate --reason: ${r.stderr.trim() || `exit ${r.code}`}`);
    }
    const { state, reason } = parseStateReason(r.stdout);
    return { state: state as DomainState, reason };
  }

  /** Starts the VM from its XML as a transient domain. Idempotent: an active domain is left alone. */
  /** `known`: the domain's state from an event-fed cache, saving one virsh call when absent. */
  async start(name: string, xml: string, known?: DomainState): Promise<"started" | "already running"> {
    if (!new RegExp(`<name>\\s*${escapeRe(name)}\\s*</name>`).test(xml)) {
      throw new LibvirtError(this.uri, name, "the domain XML names another domain");
    }
    const s = known === "absent" ? known : await this.state(name);
    if (isActive(s)) return "already running";
    if (s !== "absent") await this.undefine(name); // a stale inactive definition
    // The XML goes through a file in a fresh private directory (mkdtemp, 0700; the file created
    // exclusively, 0600): nobody can pre-create it, swap it for a symlink or read it. virsh cannot
    // read /dev/stdin here: Node gives a child's stdin as a socket, which open() refuses (ENXIO).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-"));
    try {
      const file = path.join(dir, "domain.xml");
      fs.writeFileSync(file, xml, { flag: "wx", mode: 0o600 });
      await this.virsh.run(["create", file], name);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return "started";
  }

  /** Graceful shutdown with a deadline, then forced; leaves no definition behind. */
  async stop(name: string, gracefulMs: number): Promise<"stopped" | "forced" | "absent"> {
    let s = await this.state(name);
    if (s === "absent") return "absent";
    let forced = false;
    if (isActive(s) && gracefulMs > 0) {
      await this.virsh.tryRun(["shutdown", name]);
      const deadline = performance.now() + gracefulMs;
      while (performance.now() < deadline) {
        s = await this.state(name);
        if (!isActive(s)) break;
        await sleep(100);
      }
    }
    if (isActive(await this.state(name))) {
      await this.destroy(name);
      forced = true;
    }
    await this.undefine(name);
    return forced ? "forced" : "stopped";
  }

  /** Immediate power-off of the domain (virsh destroy); absent is fine. */
  async destroy(name: string): Promise<void> {
    const r = await this.virsh.tryRun(["destroy", name]);
    if (r.code !== 0 && !isNoDomain(r.stderr) && !/domain is not running/i.test(r.stderr)) {
      throw new LibvirtError(this.uri, name, `destroy: ${r.stderr.trim()}`);
    }
  }

  /**
   * Never with --nvram: that deletes the NVRAM file, which the spec's XML may point at and the
   * next start needs. --keep-nvram lets libvirt undefine a domain that has one; a libvirt that
   * does not know the flag gets a plain undefine (which refuses rather than deletes).
   */
  private async undefine(name: string): Promise<void> {
    const r = await this.virsh.tryRun(["undefine", name, "--keep-nvram"]);
    if (r.code !== 0 && !isNoDomain(r.stderr) && !/transient/i.test(r.stderr)) {
      const r2 = await this.virsh.tryRun(["undefine", name]);
      if (r2.code !== 0 && !isNoDomain(r2.stderr) && !/transient/i.test(r2.stderr)) {
        throw new LibvirtError(this.uri, name, `undefine: ${r2.stderr.trim()}`);
      }
    }
  }

  /**
   * The marker in namespace `ns` of the domain's metadata; null when it has none (not started by
   * vmha), "absent" when the domain is gone. Throws when libvirt cannot tell.
   */
  async marker(name: string, ns: string): Promise<DomainMarker | null | "absent"> {
    const r = await this.virsh.tryRun(["metadata", name, ns]);
    if (r.code !== 0) {
      if (isNoDomain(r.stderr)) return "absent";
      if (/metadata not found|not present/i.test(r.stderr)) return null;
      throw new LibvirtError(this.uri, name, describeFailure("virsh metadata", r), r.timedOut);
    }
    const attr = (a: string) => new RegExp(`\\b${a}="([^"]*)"`).exec(r.stdout)?.[1];
    return { cluster: unescapeXml(attr("cluster")), name: unescapeXml(attr("name")) };
  }

  /** True when the domain's metadata holds `<…:resource cluster="<cluster>">` in namespace `ns`. */
  async hasMarker(name: string, ns: string, cluster: string): Promise<boolean> {
    const m = await this.marker(name, ns).catch(() => null);
    return typeof m === "object" && m !== null && m.cluster === cluster;
  }

  /** QEMU guest agent ping; false when the guest has no agent channel or it does not answer. */
  async guestPing(name: string, timeoutS = 1): Promise<boolean> {
    const r = await this.virsh.tryRun([
      "qemu-agent-command",
      name,
      '{"execute":"guest-ping"}',
      "--timeout",
      String(timeoutS),
    ]);
    return r.code === 0;
  }

  /** Live migration to another host's libvirtd (peer URI) over `migrateUri` (tcp://addr). */
  async migrate(name: string, destUri: string, migrateUri?: string, timeoutMs = 60000): Promise<void> {
    const args = ["migrate", "--live", "--verbose", name, destUri];
    if (migrateUri) args.push("--migrateuri", migrateUri);
    const v = new Virsh({ ...this.opts, timeoutMs });
    await v.run(args, name);
  }
}

function unescapeXml(s: string | undefined): string | undefined {
  return s
    ?.replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
