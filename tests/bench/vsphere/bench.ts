// `npm run bench:vsphere`: `pulumi preview --refresh` of a stack of 200 VmOverrides against the
// same stack of 200 no-op dynamic resources, both on the same dassim inventory. Prints one line
// per run and ends with {"ours_s": …, "noop_s": …, "ratio": …} (target ratio <= 1.5).
import * as pulumi from "@pulumi/pulumi";
import { findByInventoryPath } from "../../../provider/vsphere/client/inventory";
import { VimClient } from "../../../provider/vsphere/client/session";
import { connectionSettings } from "../../../provider/vsphere/client/settings";
import { agentFor } from "../../../provider/vsphere/client/transport";
import { VmOverride } from "../../../sdk/vsphere";
import { inlineStack, type TestStack, up } from "../../support/engine";
import { startVcsim } from "../../support/vsphere/vcsim";

const N = Number(process.env.VMHA_BENCH_N ?? 200);
const RUNS = Number(process.env.VMHA_BENCH_RUNS ?? 5);

/** A dynamic provider that does nothing: the engine's own cost of a dynamic resource. */
const noopProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: `noop-${inputs.vm}`, outs: inputs };
  },
  async read(id, props) {
    return { id, props };
  },
  async diff() {
    return { changes: false };
  },
  async delete() {},
};

class Noop extends pulumi.dynamic.Resource {
  constructor(name: string, args: Record<string, pulumi.Input<unknown>>) {
    super(noopProvider, name, args, {}, "vmha-bench", "Noop");
  }
}

const args = (clusterId: string, i: number) => ({
  clusterId,
  vm: `DC0/vm/DC0_C0_RP0_VM${i}`,
  restartPriority: i % 2 ? ("high" as const) : ("low" as const),
  isolationResponse: "cluster" as const,
});

async function timed(s: TestStack): Promise<number> {
  const t0 = process.hrtime.bigint();
  await s.stack.preview({ refresh: true, onOutput: () => {} });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main() {
  const sim = await startVcsim({ vms: N, standaloneHosts: 0, hostsPerCluster: 3 });
  const stacks: TestStack[] = [];
  try {
    const settings = connectionSettings({ get: (k) => sim.config[k] });
    const c = new VimClient(settings, agentFor(settings));
    const cluster = await findByInventoryPath(c, "DC0/host/DC0_C0");
    if (!cluster) throw new Error("dassim has no DC0_C0");
    const { "vmha:vspherePassword": password, ...plain } = sim.config;
    const ours = await inlineStack(
      "bench-vsphere",
      async () => {
        for (let i = 0; i < N; i++) new VmOverride(`vm${i}`, args(cluster.value, i));
      },
      plain,
    );
    await ours.stack.setConfig("vmha:vspherePassword", { value: password ?? "", secret: true });
    const noop = await inlineStack("bench-noop", async () => {
      for (let i = 0; i < N; i++) new Noop(`vm${i}`, args(cluster.value, i));
    });
    stacks.push(ours, noop);
    for (const [name, s] of [
      ["vmha", ours],
      ["noop", noop],
    ] as const) {
      const o = await up(s);
      if (o.error) throw new Error(`${name}: up failed: ${o.error}`);
      process.stderr.write(`bench: ${name}: ${N} resources created\n`);
    }
    const oursS: number[] = [];
    const noopS: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      // Alternate, so drift in machine load hits both alike.
      noopS.push(await timed(noop));
      oursS.push(await timed(ours));
      process.stdout.write(
        `run ${r + 1}/${RUNS}: preview --refresh of ${N}: vmha ${oursS[r]?.toFixed(2)} s, no-op ${noopS[r]?.toFixed(2)} s\n`,
      );
    }
    const o = median(oursS);
    const n = median(noopS);
    process.stdout.write(
      `${JSON.stringify({ ours_s: Number(o.toFixed(2)), noop_s: Number(n.toFixed(2)), ratio: Number((o / n).toFixed(2)) })}\n`,
    );
  } finally {
    for (const s of stacks) await s.dispose().catch(() => {});
    await sim.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:vsphere failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
