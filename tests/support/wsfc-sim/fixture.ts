// Test helpers around the WSFC simulator: a seeded world in a temporary directory, the
// environment that points node-powershell at the simulator, and an "administrator" shell that
// changes clusters outside Pulumi through the same PowerShell interface.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PowerShell } from "node-powershell";
import { emptyWorld, type World, withWorld } from "./state";

/** The executable NODE_POWERSHELL points at (repo file, runs the compiled simulator). */
export function simExecutable(): string {
  const root = path.resolve(__dirname, "..", "..", "..", "..");
  const bin = path.join(root, "tests", "support", "wsfc-sim", "bin", "wsfc-sim");
  fs.chmodSync(bin, 0o755);
  return bin;
}

export const GiB = 2 ** 30;

export interface Seed {
  nodes?: string[];
  memoryGb?: number;
  /** VM name -> memory in GiB, created on the first node. */
  vms?: Record<string, number>;
  featureInstalled?: boolean;
  validationFailures?: string[];
  validationWarnings?: string[];
  remoting?: { userName: string; password: string };
}

export function seedWorld(seed: Seed = {}): World {
  const w = emptyWorld();
  const nodes = seed.nodes ?? ["HV1", "HV2", "HV3"];
  nodes.forEach((n, i) => {
    w.machines[n] = {
      features: seed.featureInstalled ? ["Failover-Clustering"] : [],
      memoryBytes: (seed.memoryGb ?? 64) * GiB,
      vms: {},
    };
    if (i === 0) {
      let k = 0;
      for (const [vm, gb] of Object.entries(seed.vms ?? { VM1: 4 })) {
        w.machines[n]!.vms[vm] = {
          id: `00000000-0000-4000-8000-${String(++k).padStart(12, "0")}`,
          memoryStartupBytes: gb * GiB,
        };
      }
    }
  });
  w.validation = { failures: seed.validationFailures ?? [], warnings: seed.validationWarnings ?? [] };
  if (seed.remoting) w.remoting = seed.remoting;
  return w;
}

export interface Sim {
  dir: string;
  statePath: string;
  env: Record<string, string>;
  world(): World;
  edit(fn: (w: World) => void): void;
  /** Sets NODE_POWERSHELL and WSFC_SIM_STATE in this process (inherited by the engine and provider). */
  activate(): void;
  dispose(): void;
}

export function newSim(seed: Seed = {}): Sim {
  const base = path.join(os.tmpdir(), "vmha-wsfc-sim");
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, "w-"));
  const statePath = path.join(dir, "world.json");
  fs.writeFileSync(statePath, JSON.stringify(seedWorld(seed), null, 1));
  const env = { NODE_POWERSHELL: simExecutable(), WSFC_SIM_STATE: statePath };
  return {
    dir,
    statePath,
    env,
    world: () => JSON.parse(fs.readFileSync(statePath, "utf8")) as World,
    edit(fn) {
      // Under the simulator's own lock: a shell still finishing a line (one being disposed after
      // the previous test) read-modify-writes the world too, and an unlocked edit made between its
      // read and its write was lost (seen: a language mode the previous test set came back).
      withWorld(statePath, (w) => {
        fn(w);
      });
    },
    activate() {
      Object.assign(process.env, env);
    },
    dispose() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A second PowerShell session on the simulated world: an administrator working outside Pulumi. */
export async function adminShell(
  sim: Sim,
): Promise<{ run(command: string): Promise<string>; close(): Promise<void> }> {
  process.env.NODE_POWERSHELL = sim.env.NODE_POWERSHELL; // node-powershell reads it from this process
  const ps = new PowerShell({ spawnOptions: { env: { ...process.env, ...sim.env } } });
  return {
    async run(command) {
      const r = await ps.invoke(`$ErrorActionPreference = 'Stop'; ${command}`);
      return r.raw;
    },
    close: () => ps.dispose(),
  };
}
