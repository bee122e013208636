// ClusterSharedVolume: New-Volume from the pool (it joins the CSVs itself) or
// Add-ClusterSharedVolume of an available disk; grows in place; delete removes the CSV (and for
// pool volumes its cluster resource and virtual disk).
import { TerminalError } from "../../core/errors";
import { defineResource } from "../../core/resource";
import { PowerShellError } from "../ps/errors";
import * as s from "../scripts/storage";
import { type Ps, psFor } from "../session";
import { clusterSharedVolumeSchema } from "./cluster-shared-volume.schema";

async function readLive(ps: Ps, cluster: string, csvName: string, volume?: string) {
  try {
    const r = await ps.query(
      `read CSV '${csvName}' of cluster '${cluster}'`,
      s.readCsv(cluster, csvName, volume),
      s.csvResult,
    );
    const csv = r.csv[0];
    return csv ? { csv, vd: r.vd?.[0] } : undefined;
  } catch (err) {
    if (err instanceof PowerShellError && err.notFound) return undefined;
    throw err;
  }
}

function outputsOf(live: NonNullable<Awaited<ReturnType<typeof readLive>>>) {
  return { csvName: live.csv.Name, path: live.csv.Path, sizeBytes: live.vd?.Size ?? live.csv.Size };
}

export const definition = defineResource({
  ...clusterSharedVolumeSchema,
  timeouts: { create: 3_600_000, update: 3_600_000 },
  async validate(i, _ctx, olds) {
    const old = olds?.inputs.sizeGb;
    if (
      old !== undefined &&
      i.sizeGb !== undefined &&
      i.sizeGb < old &&
      olds?.inputs.friendlyName === i.friendlyName
    ) {
      return [
        {
          property: "sizeGb",
          reason: `cannot shrink a volume (${old} GiB -> ${i.sizeGb} GiB); grow it or create a new volume`,
        },
      ];
    }
    return [];
  },
  async create(i, ctx) {
    const ps = psFor(ctx);
    const csvName = i.disk ?? s.csvNameFor(i.friendlyName!);
    // Never a second volume of the same name: an existing one is reported, not overwritten.
    if (await readLive(ps, i.cluster, csvName, i.friendlyName)) {
      throw new TerminalError(
        `cluster '${i.cluster}' already has CSV '${csvName}'; vmha does not take over volumes: choose another ${i.disk !== undefined ? "disk" : "friendlyName"}, or remove that volume first`,
      );
    }
    // Runs at most once: after a timeout or lost reply, the volume's presence decides (finding 3).
    const verify = async () => (await readLive(ps, i.cluster, csvName, i.friendlyName)) !== undefined;
    if (i.disk !== undefined) {
      await ps.exec(
        `add disk '${i.disk}' to the CSVs of cluster '${i.cluster}'`,
        s.addCsv(i.cluster, i.disk),
        {
          verify,
        },
      );
    } else {
      const friendlyName = i.friendlyName!;
      await ps.exec(
        `create volume '${friendlyName}' (${i.sizeGb} GiB) on cluster '${i.cluster}'`,
        s.newVolume({
          cluster: i.cluster,
          friendlyName,
          sizeGb: i.sizeGb!,
          resiliency: i.resiliency,
          fileSystem: i.fileSystem,
          storagePool: i.storagePool,
        }),
        { timeoutMs: 3_000_000, verify },
      );
    }
    const live = await readLive(ps, i.cluster, csvName, i.friendlyName);
    if (!live)
      throw new TerminalError(`cluster '${i.cluster}': CSV '${csvName}' did not appear after it was created`);
    return { id: csvName, outputs: outputsOf(live) };
  },
  async read(id, current, ctx) {
    const i = current.inputs;
    const live = await readLive(psFor(ctx), i.cluster, id, i.friendlyName);
    if (!live) return undefined;
    const inputs = { ...i };
    if (live.vd) {
      inputs.sizeGb = Math.round(live.vd.Size / s.GiB);
      inputs.resiliency = live.vd.ResiliencySettingName as typeof i.resiliency;
    }
    return { inputs, outputs: outputsOf(live) };
  },
  async update(id, olds, news, ctx) {
    const ps = psFor(ctx);
    if (news.friendlyName && news.sizeGb !== undefined && news.sizeGb !== olds.inputs.sizeGb) {
      // Resizing to a size is safe to repeat.
      await ps.exec(
        `grow volume '${news.friendlyName}' to ${news.sizeGb} GiB`,
        s.resizeVolume(news.cluster, news.friendlyName, news.sizeGb),
        { timeoutMs: 1_800_000, idempotent: true },
      );
    }
    const live = await readLive(ps, news.cluster, id, news.friendlyName);
    if (!live) throw new TerminalError(`cluster '${news.cluster}': CSV '${id}' no longer exists`);
    return outputsOf(live);
  },
  async delete(id, state, ctx) {
    const ps = psFor(ctx);
    const i = state.inputs;
    if (!(await readLive(ps, i.cluster, id, i.friendlyName))) return;
    await ps.exec(
      `remove CSV '${id}' from cluster '${i.cluster}'`,
      s.removeCsv(i.cluster, id, i.friendlyName),
      {
        timeoutMs: 1_800_000,
        verify: async () => (await readLive(ps, i.cluster, id, i.friendlyName)) === undefined,
      },
    );
  },
});
