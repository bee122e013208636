// Cross-references of a cluster spec that zod's shape cannot express: names that must exist,
// dependency cycles, policies that name hosts.
import type { SpecIssue } from "./errors";
import type { ClusterSpec } from "./spec";

export function checkReferences(spec: ClusterSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const hosts = new Set(Object.keys(spec.hosts));
  const resources = new Set(Object.keys(spec.resources));
  if (hosts.size === 0) issues.push({ property: "hosts", reason: "at least one host is required" });
  for (const [r, res] of Object.entries(spec.resources)) {
    const p = `resources.${r}.placement`;
    for (const h of [...res.placement.preferredHosts, ...res.placement.bannedHosts]) {
      if (!hosts.has(h)) issues.push({ property: p, reason: `names host ${h}, which is not in hosts` });
    }
    for (const o of [...res.placement.colocateWith, ...res.placement.after]) {
      if (!resources.has(o))
        issues.push({ property: p, reason: `names resource ${o}, which is not in resources` });
      if (o === r) issues.push({ property: p, reason: `${r} cannot depend on or colocate with itself` });
    }
  }
  if (spec.admissionControl.policy === "dedicatedHosts") {
    for (const h of spec.admissionControl.hosts) {
      if (!hosts.has(h)) {
        issues.push({ property: "admissionControl.hosts", reason: `names host ${h}, which is not in hosts` });
      }
    }
  }
  const cycle = findCycle(spec);
  if (cycle) issues.push({ property: "resources", reason: `start-order cycle: ${cycle.join(" -> ")}` });
  return issues;
}

/** A cycle through `after` and `colocateWith` edges, or undefined. Iterative DFS. */
function findCycle(spec: ClusterSpec): string[] | undefined {
  const color = new Map<string, number>();
  const edges = (r: string) => {
    const p = Object.hasOwn(spec.resources, r) ? spec.resources[r]?.placement : undefined;
    return p ? [...p.after, ...p.colocateWith] : [];
  };
  for (const root of Object.keys(spec.resources)) {
    if (color.get(root)) continue;
    const stack: Array<{ node: string; i: number }> = [{ node: root, i: 0 }];
    color.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const next = edges(top.node)[top.i++];
      if (next === undefined) {
        color.set(top.node, 2);
        stack.pop();
      } else if (color.get(next) === 1) {
        const from = stack.findIndex((s) => s.node === next);
        return [...stack.slice(from).map((s) => s.node), next];
      } else if (!color.get(next) && Object.hasOwn(spec.resources, next)) {
        color.set(next, 1);
        stack.push({ node: next, i: 0 });
      }
    }
  }
  return undefined;
}
