// What the lab has brought up, kept in .run/state.json so every lab command (and the BMC)
// knows the hosts, the etcd members and the cluster name.
import * as fs from "node:fs";
import { RUN_DIR, STATE_FILE } from "./config";

export interface LabState {
  cluster: string;
  hosts: string[];
  etcd: string[];
  /** false = KVM unusable here, domains are TCG (type='qemu'). */
  kvm: boolean;
  /** Start an agent on every host (and again when a host powers on). */
  agents: boolean;
  /** Extra environment for agents (tests tune log level etc.). */
  agentEnv?: Record<string, string>;
  /** Hosts with a lab watchdog (tests/lab/watchdog.ts), and its timeout in ms; their agents get `--watchdog <fifo>`. */
  watchdog?: Record<string, number>;
}

export function readState(): LabState | undefined {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, "utf8")) as LabState;
  } catch {
    return undefined;
  }
}

export function writeState(s: LabState): void {
  fs.mkdirSync(RUN_DIR, { recursive: true });
  fs.writeFileSync(STATE_FILE, `${JSON.stringify(s, null, 2)}\n`);
}

export function requireState(): LabState {
  const s = readState();
  if (!s) throw new Error("lab: not up (run `npm run lab -- up`)");
  return s;
}
