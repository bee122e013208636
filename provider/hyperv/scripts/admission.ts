// The data admission control needs (pure script + schema): every node's memory (Get-VMHost), the
// start-up memory of every clustered VM, and optionally of the VM about to be added.
import { z } from "zod";
import { list } from "../ps/parse";
import {
  array,
  calculated,
  cmd,
  emitJson,
  hashtable,
  literal,
  paren,
  pipe,
  type Raw,
  raw,
  select,
} from "../ps/script";

/**
 * `hostNodes`: the nodes whose memory counts (a cluster's desired membership, which may differ from
 * the live one); by default the cluster's current nodes.
 */
export function admissionQuery(cluster: string, candidateVm?: string, hostNodes?: readonly string[]): Raw {
  const nodes = paren(pipe(cmd("Get-ClusterNode", { Cluster: cluster }), raw("ForEach-Object { $_.Name }")));
  const hosts = hostNodes
    ? cmd("Get-VMHost", { ComputerName: [...hostNodes] })
    : raw(`Get-VMHost -ComputerName @${nodes.text}`);
  const entries: Record<string, Raw> = {
    hosts: array(pipe(hosts, select("ComputerName", "MemoryCapacity"))),
    vms: array(
      pipe(
        cmd("Get-ClusterGroup", { Cluster: cluster }),
        raw("Where-Object -Property 'GroupType' -EQ -Value 'VirtualMachine'"),
        raw("Get-VM"),
        select("Name", "MemoryStartup", calculated("Role", "$_.Name")),
      ),
    ),
  };
  if (candidateVm !== undefined) {
    // `Get-VM -Name` takes a wildcard pattern (a VM named `web[1]` never matches itself, `*`
    // matches others): list the nodes' VMs and compare names literally (-EQ) instead.
    entries["candidate"] = array(
      pipe(
        raw(`Get-VM -ComputerName @${nodes.text}`),
        raw(`Where-Object -Property 'Name' -EQ -Value ${literal(candidateVm)}`),
        select("Name", "MemoryStartup"),
      ),
    );
  }
  return emitJson(hashtable(entries));
}

export const admissionResult = z.object({
  hosts: list(z.object({ ComputerName: z.string(), MemoryCapacity: z.number() })),
  vms: list(z.object({ Name: z.string(), MemoryStartup: z.number() })),
  candidate: list(z.object({ Name: z.string(), MemoryStartup: z.number() })).optional(),
});
