// Admission control, which WSFC lacks (pure): would every VM role still fit in memory after the
// `failuresToTolerate` largest nodes failed? The answer states the numbers.

export interface HostMemory {
  name: string;
  bytes: number;
}

export interface AdmissionInput {
  cluster: string;
  failuresToTolerate: number;
  hosts: HostMemory[];
  /** VM roles already in the cluster (memory at start-up). */
  vms: HostMemory[];
  /** The VM being admitted, if any (not yet in `vms`). */
  candidate?: HostMemory;
}

export type Admission = { ok: true; sentence: string } | { ok: false; reason: string };

const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;

export function admit(a: AdmissionInput): Admission {
  const vms = a.candidate ? [...a.vms.filter((v) => v.name !== a.candidate!.name), a.candidate] : a.vms;
  const demand = vms.reduce((s, v) => s + v.bytes, 0);
  const largest = [...a.hosts].sort((x, y) => y.bytes - x.bytes || x.name.localeCompare(y.name));
  const lost = largest.slice(0, a.failuresToTolerate);
  const left = largest.slice(a.failuresToTolerate);
  const capacity = left.reduce((s, h) => s + h.bytes, 0);
  const what = a.candidate ? `VM '${a.candidate.name}' (${mib(a.candidate.bytes)})` : "the VM roles";
  const losing = lost.length
    ? ` (losing ${lost.map((h) => `${h.name} with ${mib(h.bytes)}`).join(", ")})`
    : "";
  if (left.length === 0) {
    return {
      ok: false,
      reason: `cluster ${a.cluster} has ${a.hosts.length} node(s); it cannot tolerate ${a.failuresToTolerate} node failure(s)`,
    };
  }
  if (demand > capacity) {
    return {
      ok: false,
      reason:
        `admission control refuses ${what}: the ${vms.length} VM role(s) of cluster ${a.cluster} need ${mib(demand)}, ` +
        `but after ${a.failuresToTolerate} node failure(s)${losing} the remaining ${left.length} node(s) offer ${mib(capacity)}`,
    };
  }
  return {
    ok: true,
    sentence: `${vms.length} VM role(s) need ${mib(demand)}; after ${a.failuresToTolerate} node failure(s) ${mib(capacity)} remain`,
  };
}
