// The cluster spec: what the Pulumi resources (issue 6) write into the store and what every
// vmha-agent reads. One zod schema is the single source of truth (principle 7): the TypeScript
// types (`ClusterSpecInput` = what users write, `ClusterSpec` = with defaults resolved), the
// defaults, the documentation (`.describe`) and the `{property, reason}` failures of parseSpec().
//
// Versioning: `version` is 1. A later incompatible shape gets version 2 and a converter here;
// agents refuse a version they do not know (parseSpec fails with a SpecError naming it).
// Units: milliseconds for durations, MiB for memory, vCPUs (fractions allowed) for CPU.
import { z } from "zod";
import { applyConstraints, ConstraintSchema } from "./constraints";
import { SpecError, type SpecIssue } from "./errors";
import { checkReferences } from "./spec-refs";
import { checkTiming } from "./timing";

const name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/, "lower-case letters, digits, '.', '_' or '-', at most 63");
const ms = z.number().int().nonnegative();

export const TimingSchema = z
  .object({
    keepaliveIntervalMs: ms
      .default(250)
      .describe("How often each agent renews its lease (on its own timer) and runs one loop iteration."),
    leaseTtlMs: ms
      .default(1000)
      .describe(
        "The etcd lease TTL (whole seconds; the agents grant their leases with it): a host whose lease " +
          "is not renewed for this long is suspect, and fenced once rejoinGraceMs passed without its return.",
      ),
    rejoinGraceMs: ms
      .default(400)
      .describe(
        "How long the primary waits, after it saw a host's lease key vanish, for that host to come back " +
          "with a new lease before it fences the host. etcd can revoke a live lease (a leader that was " +
          "frozen revokes, on resuming, what the next leader kept renewing: etcd-io/etcd#15247); a healthy " +
          "host rejoins within one renewal round plus a grant and a put. Adds to every detection.",
      ),
    watchdogTimeoutMs: ms
      .default(2000)
      .describe(
        "The host watchdog's real timeout (softdog soft_margin x 1000): resets a host whose agent stopped " +
          "petting it. An agent whose watchdog is longer does not claim one (see timing.ts).",
      ),
    selfFenceDeadlineMs: ms
      .default(2000)
      .describe(
        "After the primary saw a lease expire, the time by which that host has surely stopped its " +
          "resources (isolation response or watchdog reset). Without fence confirmation, recovery waits for it.",
      ),
    isolationBudgetMs: ms
      .default(1000)
      .describe(
        "Time an isolated host gives itself to stop its stop/kill resources before the self-fence " +
          "deadline: graceful for `stop` resources within it, then destroyed.",
      ),
    fenceTimeoutMs: ms.default(2000).describe("Longest one fence attempt (off + status) may take."),
    maxClockSkewMs: ms
      .default(300)
      .describe(
        "Margin for what makes one host's time disagree with another's: clock rates, and etcd's " +
          "election timeout (a leader cut off in a minority may acknowledge a renewal for up to about " +
          "that long after a new leader took over).",
      ),
  })
  .describe("Timing policy; its invariants are checked when the spec is loaded (see timing.ts).");

export const FenceDeviceSchema = z
  .object({
    agent: z
      .string()
      .min(1)
      .describe("fence-agents program, e.g. fence_ipmilan, fence_virsh, fence_vmha_lab."),
    params: z
      .record(z.string(), z.string())
      .default({})
      .describe("key=value options passed on stdin (ip, username, plug, ...). Secrets go in secretParams."),
    secretParams: z
      .array(z.string())
      .default([])
      .describe("Names of params whose values are read from the agent's secret store, never from the spec."),
  })
  .describe("The out-of-band device that can power this host off and confirm it is off.");

export const HostSchema = z.object({
  cpu: z.number().positive().describe("Schedulable vCPUs."),
  memoryMiB: z.number().int().positive().describe("Schedulable memory in MiB."),
  fence: FenceDeviceSchema.optional().describe(
    "Without a device, recovery waits for the self-fence deadline.",
  ),
  labels: z.record(z.string(), z.string()).default({}),
});

export const SENSITIVITY = {
  low: { failureIntervalMs: 120_000, maxRestarts: 3, restartWindowMs: 7 * 86_400_000, minUptimeMs: 480_000 },
  medium: { failureIntervalMs: 60_000, maxRestarts: 3, restartWindowMs: 86_400_000, minUptimeMs: 240_000 },
  high: { failureIntervalMs: 30_000, maxRestarts: 3, restartWindowMs: 3_600_000, minUptimeMs: 120_000 },
} as const;

export const MonitoringSchema = z
  .object({
    sensitivity: z
      .enum(["low", "medium", "high", "custom"])
      .default("medium")
      .describe("vSphere VM-monitoring presets; explicit numbers below override the preset."),
    intervalMs: ms.default(1000).describe("How often the resource agent's monitor runs."),
    guestHeartbeat: z.boolean().default(false).describe("Also treat a missing guest heartbeat as a failure."),
    failureIntervalMs: ms.optional().describe("Guest heartbeat missing this long = failure."),
    minUptimeMs: ms.optional().describe("Heartbeat failures are ignored until the resource ran this long."),
    maxRestarts: z.number().int().nonnegative().optional().describe("Local restarts allowed per window."),
    restartWindowMs: ms.optional(),
    maxRelocations: z
      .number()
      .int()
      .nonnegative()
      .default(1)
      .describe("Moves to another host after local restarts are exhausted; then the resource is in error."),
  })
  .transform((m) => {
    const preset = SENSITIVITY[m.sensitivity === "custom" ? "medium" : m.sensitivity];
    return {
      ...m,
      failureIntervalMs: m.failureIntervalMs ?? preset.failureIntervalMs,
      minUptimeMs: m.minUptimeMs ?? preset.minUptimeMs,
      maxRestarts: m.maxRestarts ?? preset.maxRestarts,
      restartWindowMs: m.restartWindowMs ?? preset.restartWindowMs,
    };
  });

export const PlacementSchema = z.object({
  preferredHosts: z.array(name).default([]).describe("Ordered: earlier hosts are preferred."),
  bannedHosts: z.array(name).default([]).describe("Never placed there."),
  colocateWith: z.array(name).default([]).describe("Must run on the same host as these resources."),
  antiAffinityGroup: name.optional().describe("Members of one group never share a host."),
  after: z.array(name).default([]).describe("Started only once these resources are started."),
});

const PRIORITIES = ["lowest", "low", "medium", "high", "highest"] as const;
export const PRIORITY_RANK: Record<(typeof PRIORITIES)[number], number> = {
  lowest: 1,
  low: 2,
  medium: 3,
  high: 4,
  highest: 5,
};

export const ResourceSchema = z.object({
  kind: z.enum(["vm", "ocf", "ip"]).describe("vm: libvirt domain; ocf: OCF resource agent; ip: virtual IP."),
  state: z
    .enum(["started", "stopped", "disabled"])
    .default("started")
    .describe("started = protected (kept running); stopped = kept off; disabled = not managed by HA."),
  priority: z.enum(PRIORITIES).default("medium").describe("Restart priority: higher first."),
  reservation: z
    .object({
      cpu: z.number().nonnegative().default(1),
      memoryMiB: z.number().int().nonnegative().default(1024),
    })
    .prefault({}),
  placement: PlacementSchema.prefault({}),
  monitoring: MonitoringSchema.prefault({}),
  isolationResponse: z
    .enum(["stop", "kill", "none"])
    .default("stop")
    .describe(
      "What a host cut off from the store does with this resource: stop, kill, or none (keep running; " +
        "then it is recovered elsewhere only after its host's fence device confirmed off).",
    ),
  migration: z.enum(["live", "offline"]).default("live").describe("How maintenance drains it."),
  failback: z.boolean().default(false).describe("Move back to its home host when that host returns."),
  agent: z.string().optional().describe("Resource agent, e.g. ocf:heartbeat:VirtualDomain; default by kind."),
  params: z.record(z.string(), z.string()).default({}),
});

export const AdmissionSchema = z.discriminatedUnion("policy", [
  z.object({ policy: z.literal("disabled") }),
  z.object({ policy: z.literal("hostFailures"), hostFailures: z.number().int().positive().default(1) }),
  z.object({
    policy: z.literal("percentage"),
    cpuPercent: z.number().min(0).max(100).default(25),
    memoryPercent: z.number().min(0).max(100).default(25),
  }),
  z.object({ policy: z.literal("dedicatedHosts"), hosts: z.array(name).min(1) }),
]);

export const ClusterSpecSchema = z.object({
  version: z.literal(1).describe("Shape version of this document."),
  name: name.describe("Cluster name; also the store prefix /vmha/<name>/."),
  timing: TimingSchema.prefault({}),
  admissionControl: AdmissionSchema.default({ policy: "hostFailures", hostFailures: 1 }),
  hosts: z.record(name, HostSchema).describe("Hosts by name."),
  resources: z.record(name, ResourceSchema).default({}).describe("Resources by name."),
  constraints: z
    .record(name, ConstraintSchema)
    .default({})
    .describe("Location/colocation/order constraints; folded into placement when parsed (constraints.ts)."),
});

export type ClusterSpecInput = z.input<typeof ClusterSpecSchema>;
export type ClusterSpec = z.output<typeof ClusterSpecSchema>;
export type HostSpec = ClusterSpec["hosts"][string];
export type ResourceSpec = ClusterSpec["resources"][string];
export type TimingSpec = ClusterSpec["timing"];
export type AdmissionPolicy = ClusterSpec["admissionControl"];
export type FenceDevice = NonNullable<HostSpec["fence"]>;

/** Parses and checks a spec; throws SpecError with one `{property, reason}` per problem. */
export function parseSpec(input: unknown, subject = "cluster spec"): ClusterSpec {
  const r = tryParseSpec(input);
  if (!r.ok) throw new SpecError(subject, r.issues);
  return r.spec;
}

export type SpecResult =
  | { ok: true; spec: ClusterSpec; warnings: SpecIssue[] }
  | { ok: false; issues: SpecIssue[] };

/** Like parseSpec, but returns the issues (and timing warnings) instead of throwing. */
export function tryParseSpec(input: unknown): SpecResult {
  const parsed = ClusterSpecSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({ property: i.path.join(".") || "(root)", reason: i.message })),
    };
  }
  const spec = parsed.data;
  const constraintIssues = applyConstraints(
    spec.constraints,
    spec.resources,
    new Set(Object.keys(spec.hosts)),
  );
  const timing = checkTiming(spec.timing);
  const issues = [...constraintIssues, ...checkReferences(spec), ...timing.errors];
  return issues.length ? { ok: false, issues } : { ok: true, spec, warnings: timing.warnings };
}
