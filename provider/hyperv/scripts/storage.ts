// Scripts and result schemas for StorageSpacesDirect and ClusterSharedVolume (pure).
import { z } from "zod";
import { list, optString } from "../ps/parse";
import {
  array,
  calculated,
  cmd,
  emitJson,
  hashtable,
  literal as literalOf,
  paren,
  pipe,
  quiet,
  type Raw,
  raw,
  select,
  statements,
  sw,
} from "../ps/script";

export function enableS2d(cluster: string, pool: string | undefined, cacheState: string): Raw {
  return quiet(
    cmd("Enable-ClusterStorageSpacesDirect", {
      CimSession: cluster,
      PoolFriendlyName: pool,
      CacheState: cacheState,
      Confirm: sw(false),
    }),
  );
}

export function readS2d(cluster: string): Raw {
  return emitJson(
    hashtable({
      s2d: paren(
        pipe(
          cmd("Get-ClusterStorageSpacesDirect", { CimSession: cluster }),
          select(
            calculated("State", "$_.State.ToString()"),
            calculated("CacheState", "$_.CacheState.ToString()"),
          ),
        ),
      ),
      pools: array(
        pipe(
          cmd("Get-StoragePool", { CimSession: cluster, IsPrimordial: false }),
          select("FriendlyName", "Size"),
        ),
      ),
      volumes: array(
        pipe(cmd("Get-VirtualDisk", { CimSession: cluster }), raw("ForEach-Object { $_.FriendlyName }")),
      ),
    }),
  );
}

export const s2dResult = z.object({
  s2d: z.object({ State: z.string(), CacheState: z.string() }),
  pools: list(z.object({ FriendlyName: z.string(), Size: z.number() })),
  volumes: list(z.string()),
});

export function setCacheState(cluster: string, state: string): Raw {
  return cmd("Set-ClusterStorageSpacesDirect", { CimSession: cluster, CacheState: state });
}

export function renamePool(cluster: string, from: string, to: string): Raw {
  return cmd("Set-StoragePool", { CimSession: cluster, FriendlyName: from, NewFriendlyName: to });
}

export function disableS2d(cluster: string): Raw {
  return cmd("Disable-ClusterStorageSpacesDirect", { CimSession: cluster, Confirm: sw(false) });
}

export const GiB = 2 ** 30;

export function csvNameFor(volume: string): string {
  return `Cluster Virtual Disk (${volume})`;
}

export interface NewVolume {
  cluster: string;
  friendlyName: string;
  sizeGb: number;
  resiliency: string;
  fileSystem: string;
  storagePool: string;
}

export function newVolume(v: NewVolume): Raw {
  return quiet(
    cmd("New-Volume", {
      CimSession: v.cluster,
      StoragePoolFriendlyName: v.storagePool,
      FriendlyName: v.friendlyName,
      FileSystem: v.fileSystem,
      Size: v.sizeGb * GiB,
      ResiliencySettingName: v.resiliency,
    }),
  );
}

export function addCsv(cluster: string, disk: string): Raw {
  return quiet(cmd("Add-ClusterSharedVolume", { Cluster: cluster, Name: disk }));
}

/** The CSV (absent: []) and, for pool volumes, its virtual disk. */
export function readCsv(cluster: string, csvName: string, virtualDisk?: string): Raw {
  const entries: Record<string, Raw> = {
    csv: array(
      pipe(
        cmd("Get-ClusterSharedVolume", { Cluster: cluster }),
        raw(`Where-Object -Property 'Name' -EQ -Value ${literalOf(csvName)}`),
        select(
          "Name",
          calculated("OwnerNode", "$_.OwnerNode.Name"),
          calculated("Path", "$_.SharedVolumeInfo.FriendlyVolumeName"),
          calculated("Size", "$_.SharedVolumeInfo.Partition.Size"),
        ),
      ),
    ),
  };
  if (virtualDisk !== undefined) {
    entries["vd"] = array(
      pipe(
        cmd("Get-VirtualDisk", { CimSession: cluster }),
        raw(`Where-Object -Property 'FriendlyName' -EQ -Value ${literalOf(virtualDisk)}`),
        select("FriendlyName", "Size", "ResiliencySettingName"),
      ),
    );
  }
  return emitJson(hashtable(entries));
}

export const csvResult = z.object({
  csv: list(z.object({ Name: z.string(), OwnerNode: optString, Path: z.string(), Size: z.number() })),
  vd: list(
    z.object({ FriendlyName: z.string(), Size: z.number(), ResiliencySettingName: z.string() }),
  ).optional(),
});

export function resizeVolume(cluster: string, volume: string, sizeGb: number): Raw {
  return cmd("Resize-VirtualDisk", { CimSession: cluster, FriendlyName: volume, Size: sizeGb * GiB });
}

export function removeCsv(cluster: string, csvName: string, virtualDisk?: string): Raw {
  const steps = [cmd("Remove-ClusterSharedVolume", { Cluster: cluster, Name: csvName })];
  if (virtualDisk !== undefined) {
    steps.push(
      cmd("Remove-ClusterResource", { Cluster: cluster, Name: csvName, Force: sw() }),
      cmd("Remove-VirtualDisk", { CimSession: cluster, FriendlyName: virtualDisk, Confirm: sw(false) }),
    );
  }
  return statements(...steps.map(quiet));
}
