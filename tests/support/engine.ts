// Test harness over the real Pulumi engine (Automation API, a temporary file:// backend per
// stack). Helpers run up/preview/refresh/destroy and collect the engine's events so tests can
// assert on per-resource operations, diffs, check failures and outputs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import {
  type EngineEvent,
  LocalWorkspace,
  type OpType,
  PulumiCommand,
  type Stack,
} from "@pulumi/pulumi/automation";
import { changedKeys } from "../../provider/core/changes";

export const ROOT = path.resolve(__dirname, "..", "..", "..");

const { engineBin } = require(path.join(ROOT, "scripts", "setup", "engine.js")) as {
  engineBin(root: string): string;
};

export interface TestStack {
  stack: Stack;
  /** The temporary directory holding the backend (state files) and the workspace. */
  dir: string;
  stateDir: string;
  /** Runs destroy (best effort) and removes the stack and its directory. */
  dispose(): Promise<void>;
}

export interface Outcome {
  events: EngineEvent[];
  /** Operations the engine reported per resource name (urn's last segment), in order. */
  ops: Map<string, OpType[]>;
  /** Error and warning diagnostics. */
  diagnostics: string[];
  /** Engine error text when the operation failed. */
  error?: string;
}

function tempDir(prefix: string): string {
  const base = path.join(os.tmpdir(), "vmha-e2e");
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `${prefix}-`));
}

async function command(): Promise<PulumiCommand> {
  return PulumiCommand.get({ root: path.dirname(engineBin(ROOT)), skipVersionCheck: true });
}

export function envFor(stateDir: string): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: "vmha-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "1",
    PULUMI_HOME: path.join(ROOT, ".cache", "pulumi-home"),
    PATH: [engineBin(ROOT), path.join(ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(
      path.delimiter,
    ),
  };
}

/** A stack whose program runs inside this test process (inline program). */
export async function inlineStack(
  project: string,
  program: PulumiFn,
  config: Record<string, string> = {},
): Promise<TestStack> {
  const dir = tempDir(project);
  const stateDir = path.join(dir, "state");
  fs.mkdirSync(stateDir);
  const envVars = envFor(stateDir);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "test", projectName: project, program },
    {
      pulumiCommand: await command(),
      // Its own directory: an inline program's workspace writes a Pulumi.yaml there.
      workDir: fs.mkdirSync(path.join(dir, "work"), { recursive: true }) ?? path.join(dir, "work"),
      envVars,
      projectSettings: { name: project, runtime: "nodejs", backend: { url: `file://${stateDir}` } },
    },
  );
  for (const [k, v] of Object.entries(config)) await stack.setConfig(k, { value: v });
  return wrap(stack, dir, stateDir);
}

/** A stack of a program on disk (runs through vmha's language host, like `pulumi up`). */
export async function programStack(workDir: string, config: Record<string, string> = {}): Promise<TestStack> {
  const dir = tempDir(path.basename(workDir));
  const stateDir = path.join(dir, "state");
  fs.mkdirSync(stateDir);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: `test-${path.basename(dir)}`, workDir },
    { pulumiCommand: await command(), envVars: envFor(stateDir) },
  );
  for (const [k, v] of Object.entries(config)) await stack.setConfig(k, { value: v });
  return wrap(stack, dir, stateDir);
}

function wrap(stack: Stack, dir: string, stateDir: string): TestStack {
  return {
    stack,
    dir,
    stateDir,
    async dispose() {
      try {
        await stack.destroy({ onOutput: () => {} });
        await stack.workspace.removeStack(stack.name);
      } finally {
        // `stack rm` leaves the stack's config file in a program directory on disk.
        fs.rmSync(path.join(stack.workspace.workDir, `Pulumi.${stack.name}.yaml`), { force: true });
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function collector(): { outcome: Outcome; onEvent: (e: EngineEvent) => void } {
  const outcome: Outcome = { events: [], ops: new Map(), diagnostics: [] };
  const onEvent = (e: EngineEvent) => {
    outcome.events.push(e);
    const md = e.resourcePreEvent?.metadata;
    if (md) {
      const name = md.urn.split("::").pop() ?? md.urn;
      outcome.ops.set(name, [...(outcome.ops.get(name) ?? []), md.op]);
    }
    const d = e.diagnosticEvent;
    if (d && (d.severity === "error" || d.severity === "warning")) outcome.diagnostics.push(d.message);
  };
  return { outcome, onEvent };
}

async function capture(fn: (onEvent: (e: EngineEvent) => void) => Promise<unknown>): Promise<Outcome> {
  const { outcome, onEvent } = collector();
  try {
    await fn(onEvent);
  } catch (err) {
    outcome.error = err instanceof Error ? err.message : String(err);
  }
  return outcome;
}

export const up = (s: TestStack) => capture((onEvent) => s.stack.up({ onEvent, onOutput: () => {} }));
/** `pulumi up --refresh`: what corrects drift (a plain up compares against the stored state). */
export const upRefresh = (s: TestStack) =>
  capture((onEvent) => s.stack.up({ onEvent, refresh: true, onOutput: () => {} }));
export const preview = (s: TestStack) =>
  capture((onEvent) => s.stack.preview({ onEvent, onOutput: () => {} }));
export const refresh = (s: TestStack) =>
  capture((onEvent) => s.stack.refresh({ onEvent, onOutput: () => {} }));
export const previewRefresh = (s: TestStack) =>
  capture((onEvent) => s.stack.preview({ onEvent, refresh: true, onOutput: () => {} }));
export const destroy = (s: TestStack) =>
  capture((onEvent) => s.stack.destroy({ onEvent, onOutput: () => {} }));

/** Stack outputs after the last update, unwrapped. */
export async function outputs(s: TestStack): Promise<Record<string, unknown>> {
  const o = await s.stack.outputs();
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
}

/** The raw text of every state file of the stack's backend (to look for leaked secrets). */
export function stateText(s: TestStack): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(fs.readFileSync(p, "utf8"));
    }
  };
  walk(s.stateDir);
  return out.join("\n");
}

/** Names of resources whose refresh found a difference from the stored state. */
export function drifted(o: Outcome): string[] {
  const names = new Set<string>();
  for (const e of o.events) {
    const md = e.resOutputsEvent?.metadata;
    if (md && md.op === "update") names.add(md.urn.split("::").pop() ?? md.urn);
  }
  return [...names];
}

/** The input properties that differ between old and new state for a resource in an operation. */
export function diffsOf(o: Outcome, name: string): string[] {
  for (const e of o.events) {
    const md = e.resourcePreEvent?.metadata;
    if (md?.urn.endsWith(`::${name}`)) return changedKeys(md.old?.inputs, md.new?.inputs);
  }
  return [];
}
