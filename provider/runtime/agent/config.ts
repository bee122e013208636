// vmha-agent configuration: command-line flags, each with an environment variable, or a JSON
// file (--config). One zod schema gives the types, the defaults and the error messages.
import * as fs from "node:fs";
import { z } from "zod";
import { type HookConfig, HookConfigSchema, parseHookConfig } from "../hooks/config";

const hook = HookConfigSchema.shape;

export const AgentConfigSchema = z.object({
  host: z.string().min(1).describe("This host's name, a key of spec.hosts"),
  cluster: z.string().min(1).describe("Cluster name: store prefix /vmha/<cluster>/"),
  etcd: z.array(z.string().url()).min(1).describe("etcd client URLs"),
  etcdCaFile: z.string().optional(),
  etcdCertFile: z.string().optional(),
  etcdKeyFile: z.string().optional(),
  etcdUser: z.string().optional(),
  /** Read from VMHA_ETCD_PASSWORD or etcdPasswordFile; never a flag (it would show in ps). */
  etcdPasswordFile: z.string().optional(),
  storeTimeoutMs: z.number().int().positive().default(300),
  restartGraceS: z
    .number()
    .int()
    .nonnegative()
    .default(10)
    .describe("On SIGTERM, keep the host's heartbeat alive this long for the restarted agent (0 = off)"),
  watchCache: z
    .boolean()
    .default(true)
    .describe(
      "Serve the loop's reads from a watch-fed copy (full read every 5 s); saves a request per iteration",
    ),
  leaseTtlS: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Deprecated and ignored: the lease TTL is the spec's timing.leaseTtlMs (one TTL, not two)"),
  libvirtUri: z.string().default("qemu:///system"),
  gracefulStopMs: z.number().int().nonnegative().default(10000),
  ocfTimeoutMs: z.number().int().positive().default(20000),
  budgetMs: z.number().int().positive().default(100),
  watchdog: z.string().optional().describe("Watchdog device, e.g. /dev/watchdog (softdog)"),
  watchdogTimeoutMs: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "The watchdog's timeout, for devices that do not expose it in /sys/class/watchdog (a kernel device's own value wins)",
    ),
  fenceSecretsFile: z.string().optional(),
  metrics: z.string().optional().describe("host:port for /metrics"),
  stateDir: z.string().default("/var/lib/vmha"),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  // Hooks (README "Hooks"): the same fields as hooks/config.ts, flat so flags map one to one.
  hookExec: hook.exec,
  hookUrl: hook.url,
  hookTokenFile: hook.tokenFile,
  hookQueue: hook.queue,
  hookTimeoutMs: hook.timeoutMs,
  hookAttempts: hook.attempts,
});

export type AgentConfig = z.output<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

export function loadAgentConfig(flags: Partial<AgentConfigInput>, file?: string): AgentConfig {
  const fromFile = file ? (JSON.parse(fs.readFileSync(file, "utf8")) as Partial<AgentConfigInput>) : {};
  const defined = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const r = AgentConfigSchema.safeParse({ ...fromFile, ...defined });
  if (!r.success) {
    throw new Error(
      `vmha-agent configuration: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  }
  return r.data;
}

export function etcdPassword(cfg: AgentConfig): string | undefined {
  if (process.env["VMHA_ETCD_PASSWORD"]) return process.env["VMHA_ETCD_PASSWORD"];
  if (cfg.etcdPasswordFile) return fs.readFileSync(cfg.etcdPasswordFile, "utf8").trim();
  return undefined;
}

/** The hook settings of an agent configuration (validated again as a whole: token needs url). */
export function hookConfigOf(cfg: AgentConfig): HookConfig {
  return parseHookConfig({
    ...(cfg.hookExec ? { exec: cfg.hookExec } : {}),
    ...(cfg.hookUrl ? { url: cfg.hookUrl } : {}),
    ...(cfg.hookTokenFile ? { tokenFile: cfg.hookTokenFile } : {}),
    queue: cfg.hookQueue,
    timeoutMs: cfg.hookTimeoutMs,
    attempts: cfg.hookAttempts,
  });
}
