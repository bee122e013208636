// Runs any OCF resource agent (ocf:<provider>:<type>, Debian resource-agents) the way Pacemaker
// does: OCF_ROOT, OCF_RESKEY_<param>, OCF_RESOURCE_INSTANCE, a timeout, and the OCF exit codes.
import * as path from "node:path";
import { runCommand } from "../proc/run";

export const OCF_ROOT = "/usr/lib/ocf";

/** OCF exit codes (OCF resource agent API 1.1). */
export const OCF = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
} as const;

export const OCF_CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(OCF).map(([k, v]) => [v, k.toLowerCase()]),
);

export type OcfAction =
  | "start"
  | "stop"
  | "monitor"
  | "meta-data"
  | "validate-all"
  | "migrate_to"
  | "migrate_from";

export interface OcfResource {
  /** Instance name (OCF_RESOURCE_INSTANCE). */
  name: string;
  /** "ocf:heartbeat:IPaddr2" */
  agent: string;
  params: Record<string, string>;
}

export interface OcfRun {
  action: OcfAction;
  code: number;
  codeName: string;
  timedOut: boolean;
  ms: number;
  output: string;
}

/** Provider and type become path components under OCF_ROOT: no "/", no dot-only names, no "..". */
const AGENT_PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * `resource` names the resource in errors (the agent string alone does not say which spec entry
 * is wrong); `root` is OCF_ROOT (a test points it at a fake tree).
 */
export function parseAgent(
  agent: string,
  resource?: string,
  root: string = OCF_ROOT,
): { provider: string; type: string; file: string } {
  const who = resource !== undefined ? `resource ${resource}: ` : "";
  const m = /^ocf:([^:]*):([^:]*)$/.exec(agent);
  if (!m) throw new Error(`${who}resource agent "${agent}" must look like ocf:<provider>:<type>`);
  const [provider, type] = [m[1]!, m[2]!];
  for (const [what, part] of [
    ["provider", provider],
    ["type", type],
  ] as const) {
    if (!AGENT_PART.test(part) || part.includes(".."))
      throw new Error(
        `${who}resource agent ${what} "${part}" may use only letters, digits, "_", "." and "-" (no "/", no "..", not starting with "." or "-")`,
      );
  }
  return { provider, type, file: path.join(root, "resource.d", provider, type) };
}

export function ocfEnv(
  r: OcfResource,
  action: OcfAction,
  timeoutMs: number,
  extra: Record<string, string> = {},
  root: string = OCF_ROOT,
): NodeJS.ProcessEnv {
  const { provider, type } = parseAgent(r.agent, r.name, root);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    LC_ALL: "C",
    OCF_ROOT: root,
    OCF_RA_VERSION_MAJOR: "1",
    OCF_RA_VERSION_MINOR: "1",
    OCF_RESOURCE_INSTANCE: r.name,
    OCF_RESOURCE_TYPE: type,
    OCF_RESOURCE_PROVIDER: provider,
    OCF_RESKEY_CRM_meta_timeout: String(timeoutMs),
    __OCF_ACTION: action,
    ...extra,
  };
  for (const [k, v] of Object.entries(r.params)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new Error(`resource ${r.name}: parameter name "${k}" is not valid for OCF`);
    env[`OCF_RESKEY_${k}`] = v;
  }
  return env;
}

export async function runOcf(
  r: OcfResource,
  action: OcfAction,
  timeoutMs: number,
  extra?: Record<string, string>,
  /** Runs the agent through this command (e.g. nsenter into a lab host's namespaces). */
  prefix: readonly string[] = [],
  /** OCF_ROOT; tests point it at a tree of fake agents. */
  root: string = OCF_ROOT,
): Promise<OcfRun> {
  const { file } = parseAgent(r.agent, r.name, root);
  const env = ocfEnv(r, action, timeoutMs, extra, root);
  const [cmd, ...args] = [...prefix, file, action];
  const res = await runCommand(cmd!, args, { env, timeoutMs });
  // A timed-out or signalled agent is a generic failure, as in Pacemaker.
  const code = res.timedOut || res.code === null ? OCF.ERR_GENERIC : res.code;
  return {
    action,
    code,
    codeName: OCF_CODE_NAMES[code] ?? `exit ${code}`,
    timedOut: res.timedOut,
    ms: res.ms,
    output: (res.stderr + res.stdout).trim().split("\n").slice(-5).join("\n"),
  };
}
