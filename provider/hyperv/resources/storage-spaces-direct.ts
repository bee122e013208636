// StorageSpacesDirect: Enable-ClusterStorageSpacesDirect, cache state and pool name in place;
// delete disables S2D (the cluster refuses while volumes remain on the pool).
import { TerminalError } from "../../core/errors";
import { defineResource } from "../../core/resource";
import { PowerShellError } from "../ps/errors";
import * as s from "../scripts/storage";
import { type Ps, psFor } from "../session";
import { storageSpacesDirectSchema } from "./storage-spaces-direct.schema";

async function readLive(ps: Ps, cluster: string) {
  try {
    const r = await ps.query(
      `read Storage Spaces Direct of cluster '${cluster}'`,
      s.readS2d(cluster),
      s.s2dResult,
    );
    return r.s2d.State === "Enabled" ? r : undefined;
  } catch (err) {
    if (err instanceof PowerShellError && err.notFound) return undefined;
    throw err;
  }
}

function poolOf(r: NonNullable<Awaited<ReturnType<typeof readLive>>>, cluster: string) {
  const pool = r.pools[0];
  if (!pool)
    throw new TerminalError(`cluster '${cluster}': Storage Spaces Direct is enabled but has no pool`);
  return { poolName: pool.FriendlyName, poolSizeBytes: pool.Size };
}

export const definition = defineResource({
  ...storageSpacesDirectSchema,
  timeouts: { create: 3_600_000 },
  async create(i, ctx) {
    const ps = psFor(ctx);
    if (!i.adopt) {
      if (await readLive(ps, i.cluster)) {
        throw new TerminalError(
          `cluster '${i.cluster}' already has Storage Spaces Direct enabled; set adopt: true on this StorageSpacesDirect to manage it`,
        );
      }
      // Runs at most once: after a timeout or lost reply, whether S2D is enabled decides (finding 3).
      await ps.exec(
        `enable Storage Spaces Direct on cluster '${i.cluster}'`,
        s.enableS2d(i.cluster, i.poolFriendlyName, i.cacheState),
        {
          timeoutMs: 3_000_000,
          verify: async () => (await readLive(ps, i.cluster)) !== undefined,
          ifUnknown: "if Storage Spaces Direct is enabled now, set adopt: true",
        },
      );
    }
    const r = await readLive(ps, i.cluster);
    if (!r)
      throw new TerminalError(
        `cluster '${i.cluster}': Storage Spaces Direct is not enabled${i.adopt ? " (adopt: true needs it enabled)" : ""}`,
      );
    const out = poolOf(r, i.cluster);
    if (i.adopt && i.poolFriendlyName && i.poolFriendlyName !== out.poolName) {
      await ps.exec(
        `rename pool '${out.poolName}' of cluster '${i.cluster}'`,
        s.renamePool(i.cluster, out.poolName, i.poolFriendlyName),
        { idempotent: true },
      );
      out.poolName = i.poolFriendlyName;
    }
    if (i.adopt && r.s2d.CacheState !== i.cacheState)
      await ps.exec(`set the S2D cache of cluster '${i.cluster}'`, s.setCacheState(i.cluster, i.cacheState), {
        idempotent: true,
      });
    return { id: i.cluster, outputs: out, adopted: i.adopt };
  },
  async read(id, current, ctx) {
    const r = await readLive(psFor(ctx), current.inputs.cluster ?? id);
    if (!r) return undefined;
    const out = poolOf(r, id);
    const inputs = { ...current.inputs, cacheState: r.s2d.CacheState as "Enabled" | "Disabled" };
    if (current.inputs.poolFriendlyName !== undefined) inputs.poolFriendlyName = out.poolName;
    return { inputs, outputs: out };
  },
  async update(id, _olds, news, ctx) {
    const ps = psFor(ctx);
    // Compared with the live settings (the stored ones may predate a change made outside Pulumi).
    const before = await readLive(ps, id);
    if (!before) throw new TerminalError(`cluster '${id}': Storage Spaces Direct is no longer enabled`);
    if (news.cacheState !== before.s2d.CacheState) {
      await ps.exec(
        `set the S2D cache of cluster '${id}' to ${news.cacheState}`,
        s.setCacheState(id, news.cacheState),
        { idempotent: true },
      );
    }
    const poolName = poolOf(before, id).poolName;
    if (news.poolFriendlyName && news.poolFriendlyName !== poolName) {
      await ps.exec(
        `rename pool '${poolName}' of cluster '${id}'`,
        s.renamePool(id, poolName, news.poolFriendlyName),
        { idempotent: true },
      );
    }
    const r = await readLive(ps, id);
    if (!r) throw new TerminalError(`cluster '${id}': Storage Spaces Direct is no longer enabled`);
    return poolOf(r, id);
  },
  async delete(id, _state, ctx) {
    const ps = psFor(ctx);
    const live = await readLive(ps, id);
    if (!live) return;
    if (live.volumes.length) {
      throw new TerminalError(
        `cluster '${id}': the S2D pool still holds volume(s) ${live.volumes.map((v) => `'${v}'`).join(", ")}; ` +
          "delete them before disabling Storage Spaces Direct",
      );
    }
    await ps.exec(`disable Storage Spaces Direct on cluster '${id}'`, s.disableS2d(id), {
      timeoutMs: 1_800_000,
      verify: async () => (await readLive(ps, id)) === undefined,
    });
  },
});
