// The simulated world: Windows servers (features, memory, Hyper-V VMs) and failover clusters, kept
// in one JSON file (path in WSFC_SIM_STATE) so several shells - the provider's and a test's
// "administrator" - see and change the same clusters. Each input line of a shell runs under an
// exclusive lock on that file.
import * as fs from "node:fs";

export interface Vm {
  id: string;
  memoryStartupBytes: number;
}

export interface Machine {
  features: string[];
  memoryBytes: number;
  vms: Record<string, Vm>;
  /** Set by tests: Install-WindowsFeature on this machine reports that a restart is needed. */
  restartNeeded?: boolean;
}

export type NodeState = "Up" | "Down" | "Paused" | "Joining";

export interface Quorum {
  type: "NoWitness" | "Disk" | "FileShare" | "Cloud";
  resource?: string;
  params: Record<string, string>;
}

export interface Disk {
  /** 'pool' for a virtual disk made by New-Volume, 'disk' for a shared disk in Available Storage. */
  source: "pool" | "disk";
  virtualDisk?: string;
  csv: boolean;
  ownerNode: string;
  sizeBytes: number;
  /** Mount point while it is a CSV. */
  path?: string;
}

export interface MonitoredItem {
  type: "Service" | "Event";
  name: string;
  eventLog?: string;
  eventSource?: string;
  eventId?: number;
}

export interface Group {
  vm: string;
  ownerNode: string;
  state: "Online" | "Offline";
  priority: number;
  autoFailbackType: number;
  failbackWindowStart: number;
  failbackWindowEnd: number;
  failoverThreshold: number;
  failoverPeriod: number;
  antiAffinityClassNames: string[];
  preferredOwners: string[];
  monitored: MonitoredItem[];
}

export interface Cau {
  daysOfWeek: string[];
  weeksOfMonth: number[];
  maxFailedNodes: number;
  maxRetriesPerNode: number;
  requireAllNodesOnline: boolean;
  enableFirewallRules: boolean;
  virtualComputerObjectName: string;
  startDateMs: number;
}

export interface VirtualDisk {
  sizeBytes: number;
  resiliency: string;
}

export interface Cluster {
  id: string;
  /**
   * Set by tests: the cluster service is stopped on every node (Stop-Cluster). Its name does not
   * answer ("The RPC server is unavailable"), nor do its nodes about their cluster.
   */
  stopped?: boolean;
  nodes: Record<string, { state: NodeState }>;
  staticAddresses: string[];
  ignoreNetworks: string[];
  noStorage: boolean;
  sameSubnetDelay: number;
  sameSubnetThreshold: number;
  crossSubnetDelay: number;
  crossSubnetThreshold: number;
  quorum: Quorum;
  s2d?: { cacheState: string; pool: { friendlyName: string; sizeBytes: number } };
  virtualDisks: Record<string, VirtualDisk>;
  disks: Record<string, Disk>;
  groups: Record<string, Group>;
  cau?: Cau;
}

export type LanguageMode = "FullLanguage" | "RestrictedLanguage" | "NoLanguage" | "ConstrainedLanguage";

export interface World {
  /**
   * PowerShell's language mode, as an AppLocker/WDAC policy sets it: `local` for the shells the
   * simulator is (node-powershell's), `remote` inside Invoke-Command on a remoting session.
   * Default FullLanguage. In ConstrainedLanguage mode .NET static members and calls and property
   * assignments fail as in PowerShell, node-powershell's [Console] markers included.
   */
  languageMode?: { local?: LanguageMode; remote?: LanguageMode };
  /** When set, New-PSSession requires exactly these credentials. */
  remoting?: { userName: string; password: string };
  machines: Record<string, Machine>;
  /** Validation findings Test-Cluster reports for these nodes (set by tests). */
  validation: { failures: string[]; warnings: string[] };
  clusters: Record<string, Cluster>;
  /**
   * Cluster names that resolve but do not answer: a removed cluster's (its DNS record outlives
   * it), or an existing one's whose network name is offline. Get-Cluster and every -Cluster
   * parameter given such a name fail with "The RPC server is unavailable", as after a real
   * Remove-Cluster, instead of "not found"; its nodes still answer for themselves.
   */
  staleClusterNames?: string[];
  /** Faults a test injects: the next `crash` commands make their shell exit; the next `hang` commands make it stop answering for good. */
  faults?: {
    crash?: number;
    hang?: number;
    /**
     * A lost reply: the next command line containing `match` runs (the world changes), then its
     * shell stops answering (`hang`) or exits (`crash`), as when WinRM drops mid-command.
     */
    afterCommand?: { match: string; then: "hang" | "crash" };
    /** The next command line containing `match` is lost: its shell exits without running it. */
    beforeCommand?: { match: string };
  };
  /** Every command line the simulator executed (for tests that assert what was sent). */
  journal?: string[];
}

export function emptyWorld(): World {
  return { machines: {}, validation: { failures: [], warnings: [] }, clusters: {}, journal: [] };
}

export function statePath(): string {
  const p = process.env.WSFC_SIM_STATE;
  if (!p) throw new Error("wsfc-sim: WSFC_SIM_STATE must name the simulator's state file");
  return p;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Runs `fn` with the world loaded under an exclusive lock; saves it when fn changed it. */
export function withWorld<T>(file: string, fn: (w: World) => T): T {
  const lock = `${file}.lock`;
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (i > 6000) throw new Error(`wsfc-sim: state lock ${lock} held for more than 60 s`);
      Atomics.wait(sleeper, 0, 0, 10);
    }
  }
  try {
    const before = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : JSON.stringify(emptyWorld());
    const world = JSON.parse(before) as World;
    const result = fn(world);
    const after = JSON.stringify(world, null, 1);
    if (after !== before) {
      fs.writeFileSync(`${file}.tmp`, after);
      fs.renameSync(`${file}.tmp`, file);
    }
    return result;
  } finally {
    fs.rmdirSync(lock);
  }
}
