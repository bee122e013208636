// Storage Spaces Direct, virtual disks and Cluster Shared Volumes.

import { findCluster, nodeObject, pickNode } from "./cmdlets-cluster";
import type { Cmdlet } from "./interp";
import type { Cluster } from "./state";
import { invalid, notFound, obj, PsEnum, PsError, type PsObject } from "./values";

/** Raw capacity each node contributes to the pool (4 x 1 TiB drives). */
const NODE_POOL_BYTES = 4 * 2 ** 40;

function poolBytes(c: Cluster): number {
  return Object.keys(c.nodes).length * NODE_POOL_BYTES;
}

const enableS2d: Cmdlet = {
  params: { cimsession: "string", poolfriendlyname: "string", cachestate: "string", autoconfig: "switch" },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["cimsession"]));
    if (c.s2d) throw invalid(`Storage Spaces Direct is already enabled on cluster ${name}.`, name);
    if (Object.keys(c.nodes).length < 2)
      throw invalid("Storage Spaces Direct needs at least two nodes.", name);
    const cache = String(a["cachestate"] ?? "Enabled");
    if (!["Enabled", "Disabled"].includes(cache)) throw invalid(`Invalid CacheState ${cache}.`, name);
    c.s2d = {
      cacheState: cache,
      pool: { friendlyName: String(a["poolfriendlyname"] ?? `S2D on ${name}`), sizeBytes: poolBytes(c) },
    };
    return [];
  },
};

function s2dOf(c: Cluster, name: string) {
  if (!c.s2d) {
    throw new PsError(`Storage Spaces Direct is not enabled on cluster ${name}.`, {
      id: "S2DNotEnabled",
      category: "ObjectNotFound",
      target: name,
    });
  }
  return c.s2d;
}

const getS2d: Cmdlet = {
  params: { cimsession: "string" },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["cimsession"]));
    const s = c.s2d;
    return [
      obj("MSFT_ClusterStorageSpacesDirect", {
        Name: name,
        State: new PsEnum("S2DState", s ? "Enabled" : "Disabled", s ? 1 : 0),
        CacheState: new PsEnum(
          "CacheState",
          s?.cacheState ?? "Disabled",
          s?.cacheState === "Enabled" ? 2 : 1,
        ),
      }),
    ];
  },
};

const setS2d: Cmdlet = {
  params: { cimsession: "string", cachestate: "string" },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["cimsession"]));
    s2dOf(c, name).cacheState = String(a["cachestate"]);
    return [];
  },
};

const disableS2d: Cmdlet = {
  params: { cimsession: "string" },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["cimsession"]));
    s2dOf(c, name);
    if (Object.keys(c.virtualDisks).length)
      throw invalid(`The pool on ${name} still holds virtual disks.`, name);
    c.s2d = undefined;
    return [];
  },
};

const getPool: Cmdlet = {
  params: { cimsession: "string", isprimordial: "bool", friendlyname: "string" },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["cimsession"]));
    if (!c.s2d) return [];
    const used = Object.values(c.virtualDisks).reduce(
      (s, v) => s + v.sizeBytes * (v.resiliency === "Mirror" ? 3 : 1.5),
      0,
    );
    return [
      obj("MSFT_StoragePool", {
        FriendlyName: c.s2d.pool.friendlyName,
        Size: c.s2d.pool.sizeBytes,
        AllocatedSize: used,
        IsPrimordial: false,
        ClusterName: name,
      }),
    ];
  },
};

const setPool: Cmdlet = {
  params: { cimsession: "string", friendlyname: "string", newfriendlyname: "string" },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["cimsession"]));
    const s = s2dOf(c, name);
    if (s.pool.friendlyName !== a["friendlyname"]) throw notFound("Storage pool", String(a["friendlyname"]));
    s.pool.friendlyName = String(a["newfriendlyname"]);
    return [];
  },
};

function csvName(vd: string): string {
  return `Cluster Virtual Disk (${vd})`;
}

const newVolume: Cmdlet = {
  params: {
    cimsession: "string",
    storagepoolfriendlyname: "string",
    friendlyname: "string",
    filesystem: "string",
    size: "int",
    resiliencysettingname: "string",
  },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["cimsession"]));
    const s = s2dOf(c, name);
    const pool = String(a["storagepoolfriendlyname"]);
    const matches = pool.endsWith("*")
      ? s.pool.friendlyName.startsWith(pool.slice(0, -1))
      : s.pool.friendlyName === pool;
    if (!matches) throw notFound("Storage pool", pool);
    const fs = String(a["filesystem"]);
    if (!["CSVFS_ReFS", "CSVFS_NTFS", "ReFS", "NTFS"].includes(fs))
      throw invalid(`Invalid file system ${fs}.`, fs);
    const vd = String(a["friendlyname"]);
    if (c.virtualDisks[vd]) throw invalid(`A virtual disk named ${vd} already exists.`, vd);
    const res = String(a["resiliencysettingname"] ?? "Mirror");
    if (!["Mirror", "Parity", "Simple"].includes(res))
      throw invalid(`Invalid resiliency setting ${res}.`, res);
    const size = a["size"] as number;
    c.virtualDisks[vd] = { sizeBytes: size, resiliency: res };
    // A CSVFS_* volume joins the Cluster Shared Volumes at once.
    c.disks[csvName(vd)] = {
      source: "pool",
      virtualDisk: vd,
      csv: fs.startsWith("CSVFS"),
      ownerNode: pickNode(c),
      sizeBytes: size,
      // Since Windows Server 2019 the mount point takes the volume's friendly name.
      path: fs.startsWith("CSVFS") ? `C:\\ClusterStorage\\${vd}` : undefined,
    };
    return [obj("MSFT_Volume", { FileSystemLabel: vd, FileSystem: fs, Size: size })];
  },
};

const getVirtualDisk: Cmdlet = {
  params: { cimsession: "string", friendlyname: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cimsession"]));
    const all = Object.entries(c.virtualDisks).map(([n, v]) =>
      obj("MSFT_VirtualDisk", { FriendlyName: n, Size: v.sizeBytes, ResiliencySettingName: v.resiliency }),
    );
    if (a["friendlyname"] === undefined) return all;
    const hit = all.filter((o) => o.get("FriendlyName") === a["friendlyname"]);
    if (!hit.length) throw notFound("Virtual disk", String(a["friendlyname"]));
    return hit;
  },
};

const resizeVirtualDisk: Cmdlet = {
  params: { cimsession: "string", friendlyname: "string", size: "int" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cimsession"]));
    const vd = String(a["friendlyname"]);
    const v = c.virtualDisks[vd];
    if (!v) throw notFound("Virtual disk", vd);
    const size = a["size"] as number;
    if (size < v.sizeBytes) throw invalid("The size cannot be smaller than the current size.", vd);
    v.sizeBytes = size;
    const d = c.disks[csvName(vd)];
    if (d) d.sizeBytes = size;
    return [];
  },
};

const removeVirtualDisk: Cmdlet = {
  params: { cimsession: "string", friendlyname: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cimsession"]));
    const vd = String(a["friendlyname"]);
    if (!c.virtualDisks[vd]) throw notFound("Virtual disk", vd);
    if (c.disks[csvName(vd)]) throw invalid(`Virtual disk ${vd} is still in use by the cluster.`, vd);
    delete c.virtualDisks[vd];
    return [];
  },
};

function csvObject(c: Cluster, name: string): PsObject {
  const d = c.disks[name]!;
  return obj("Microsoft.FailoverClusters.PowerShell.ClusterSharedVolume", {
    Name: name,
    State: new PsEnum("ClusterResourceState", "Online", 2),
    OwnerNode: nodeObject(c, d.ownerNode),
    SharedVolumeInfo: [
      obj("ClusterSharedVolumeInfo", {
        FriendlyVolumeName: d.path ?? "",
        Partition: obj("ClusterDiskPartitionInfo", { Size: d.sizeBytes }),
      }),
    ],
  });
}

const addCsv: Cmdlet = {
  params: { cluster: "string", name: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const n = String(a["name"]);
    const d = c.disks[n];
    if (!d) throw notFound("Cluster disk", n);
    if (d.csv) throw invalid(`Disk ${n} is already a Cluster Shared Volume.`, n);
    if (c.quorum.resource === n) throw invalid(`Disk ${n} is the quorum witness.`, n);
    d.csv = true;
    // Shared disks mount as C:\ClusterStorage\VolumeN, the lowest N not in use.
    const used = new Set(Object.values(c.disks).map((x) => x.path));
    let i = 1;
    while (used.has(`C:\\ClusterStorage\\Volume${i}`)) i++;
    d.path = `C:\\ClusterStorage\\Volume${i}`;
    return [csvObject(c, n)];
  },
};

const getCsv: Cmdlet = {
  params: { cluster: "string", name: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const names = Object.keys(c.disks).filter((n) => c.disks[n]!.csv);
    if (a["name"] === undefined) return names.map((n) => csvObject(c, n));
    if (!names.includes(String(a["name"]))) throw notFound("Cluster Shared Volume", String(a["name"]));
    return [csvObject(c, String(a["name"]))];
  },
};

const removeCsv: Cmdlet = {
  params: { cluster: "string", name: "string" },
  run(a, ctx) {
    const [, c] = findCluster(ctx.world, String(a["cluster"]));
    const n = String(a["name"]);
    const d = c.disks[n];
    if (!d?.csv) throw notFound("Cluster Shared Volume", n);
    d.csv = false; // Back to Available Storage.
    d.path = undefined;
    return [];
  },
};

export const storageCmdlets: Record<string, Cmdlet> = {
  "enable-clusterstoragespacesdirect": enableS2d,
  "get-clusterstoragespacesdirect": getS2d,
  "set-clusterstoragespacesdirect": setS2d,
  "disable-clusterstoragespacesdirect": disableS2d,
  "get-storagepool": getPool,
  "set-storagepool": setPool,
  "new-volume": newVolume,
  "get-virtualdisk": getVirtualDisk,
  "resize-virtualdisk": resizeVirtualDisk,
  "remove-virtualdisk": removeVirtualDisk,
  "add-clustersharedvolume": addCsv,
  "get-clustersharedvolume": getCsv,
  "remove-clustersharedvolume": removeCsv,
};
