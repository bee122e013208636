// Finding inventory objects by name, inventory path or managed-object id, with errors that say
// what was looked for and where.
import { TerminalError } from "../../core/errors";
import { NotFoundError } from "./faults";
import { retrieve } from "./props";
import type { VimClient } from "./session";
import { type MoRef, moref, text } from "./xml";

export async function findByInventoryPath(
  c: VimClient,
  path: string,
  signal?: AbortSignal,
): Promise<MoRef | undefined> {
  const sc = await c.session(signal);
  return moref(await c.invoke("FindByInventoryPath", sc.searchIndex, { inventoryPath: path }, signal));
}

/**
 * The shape of vCenter's managed-object ids per type. One pattern for all (`[a-z]+-[a-z]*\d+`)
 * also matched ordinary names such as `esx-01` or `web-1` (review finding 16): a standalone host
 * named `esx-01` in moveHosts was looked up as an id and reported "not found".
 */
const MOID: Readonly<Record<string, RegExp>> = {
  HostSystem: /^host-\d+$/,
  VirtualMachine: /^vm-\d+$/,
  Datastore: /^datastore-\d+$/,
  ClusterComputeResource: /^domain-c\d+$/,
  ComputeResource: /^domain-s\d+$/,
  Datacenter: /^datacenter-\d+$/,
  Folder: /^group-[a-z]\d+$/,
  ResourcePool: /^resgroup-v?\d+$/,
};

/** Whether `s` has the shape of a managed-object id of `type` (`host-21`, `vm-42`, `domain-c7`, …). */
export function isMoid(type: string, s: string): boolean {
  return MOID[type]?.test(s) ?? false;
}

/** Confirms that an id names an existing object of the type; returns its name. */
export async function objectName(c: VimClient, r: MoRef, signal?: AbortSignal): Promise<string> {
  const p = await retrieve(c, r, ["name"], signal);
  return text(p["name"]) ?? r.value;
}

export async function datacenter(c: VimClient, name: string, signal?: AbortSignal): Promise<MoRef> {
  const r = await findByInventoryPath(c, name, signal);
  if (r?.type !== "Datacenter") {
    throw new TerminalError(
      `datacenter ${JSON.stringify(name)} not found in vCenter ${c.settings.server} (give its name or inventory path, e.g. "DC0" or "folder/DC0")`,
    );
  }
  return r;
}

export async function folderOf(
  c: VimClient,
  dc: MoRef,
  which: "hostFolder" | "vmFolder",
  signal?: AbortSignal,
) {
  const p = await retrieve(c, dc, [which], signal);
  const r = moref(p[which]);
  if (!r) throw new TerminalError(`datacenter ${dc.value} has no ${which}`);
  return r;
}

async function byIdOrPaths(
  c: VimClient,
  type: string,
  what: string,
  spec: string,
  paths: string[],
  signal?: AbortSignal,
): Promise<MoRef> {
  if (isMoid(type, spec)) {
    const r = { type, value: spec };
    try {
      await objectName(c, r, signal);
      return r;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      // Not an id after all (or one deleted): an object may still be named like one.
    }
  }
  for (const p of paths) {
    const r = await findByInventoryPath(c, p, signal);
    if (r?.type === type) return r;
  }
  const asId = isMoid(type, spec) ? ` as a managed-object id or` : "";
  throw new TerminalError(
    `${what} ${JSON.stringify(spec)} not found in vCenter ${c.settings.server} (looked it up${asId} at ${paths.join(", ")})`,
  );
}

/** A host by id, by name (a standalone host), or by path under the datacenter's host folder ("cluster/host"). */
export function host(c: VimClient, dcPath: string, spec: string, signal?: AbortSignal): Promise<MoRef> {
  const base = `${dcPath}/host`;
  const paths = spec.includes("/") ? [`${base}/${spec}`] : [`${base}/${spec}/${spec}`, `${base}/${spec}`];
  return byIdOrPaths(c, "HostSystem", "host", spec, paths, signal);
}

/** A VM by id or by path under the datacenter's VM folder. */
export function vm(
  c: VimClient,
  dcPath: string | undefined,
  spec: string,
  signal?: AbortSignal,
): Promise<MoRef> {
  const paths = dcPath ? [`${dcPath}/vm/${spec}`] : [spec];
  return byIdOrPaths(c, "VirtualMachine", "virtual machine", spec, paths, signal);
}

/** A datastore by id or by name in the datacenter. */
export function datastore(c: VimClient, dcPath: string | undefined, spec: string, signal?: AbortSignal) {
  const paths = dcPath ? [`${dcPath}/datastore/${spec}`] : [spec];
  return byIdOrPaths(c, "Datastore", "datastore", spec, paths, signal);
}
