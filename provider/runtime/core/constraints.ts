// Pacemaker-style constraints (location, colocation, order) kept as their own spec entries, so a
// Constraint resource and the resource it constrains are written by different owners without
// clobbering each other. They fold into each resource's placement when the spec is parsed, so
// the rest of the core only ever sees `placement`.
import { z } from "zod";
import type { SpecIssue } from "./errors";

const ref = z.string().min(1);

export const ConstraintSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("location"),
      resource: ref,
      host: ref,
      /** prefer: placed there when possible (in constraint order); ban: never placed there. */
      rule: z.enum(["prefer", "ban"]),
    })
    .describe("pcs constraint location <resource> prefers|avoids <host>"),
  z
    .object({ type: z.literal("colocation"), resource: ref, with: ref })
    .describe("pcs constraint colocation add <resource> with <with>"),
  z
    .object({ type: z.literal("order"), first: ref, then: ref })
    .describe("pcs constraint order start <first> then <then>"),
]);

export type Constraint = z.output<typeof ConstraintSchema>;

interface Placed {
  placement: { preferredHosts: string[]; bannedHosts: string[]; colocateWith: string[]; after: string[] };
}

type ListKey = keyof Placed["placement"];

/** Copies before adding: parsed defaults may share one array instance between specs. */
function addUnique(r: Placed, key: ListKey, v: string): void {
  const list = r.placement[key];
  if (!list.includes(v)) r.placement[key] = [...list, v];
}

/**
 * Folds constraints into the resources' placement (in place, on an already-parsed spec) and
 * returns the issues of constraints that name unknown resources or hosts.
 */
export function applyConstraints(
  constraints: Readonly<Record<string, Constraint>>,
  resources: Record<string, Placed>,
  hosts: ReadonlySet<string>,
): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const need = (c: string, r: string) => {
    if (Object.hasOwn(resources, r)) return true;
    issues.push({ property: `constraints.${c}`, reason: `names resource ${r}, which is not in resources` });
    return false;
  };
  for (const [name, c] of Object.entries(constraints).sort(([a], [b]) => a.localeCompare(b))) {
    if (c.type === "location") {
      if (!need(name, c.resource)) continue;
      if (!hosts.has(c.host)) {
        issues.push({
          property: `constraints.${name}`,
          reason: `names host ${c.host}, which is not in hosts`,
        });
        continue;
      }
      addUnique(resources[c.resource]!, c.rule === "prefer" ? "preferredHosts" : "bannedHosts", c.host);
    } else if (c.type === "colocation") {
      if (need(name, c.resource) && need(name, c.with))
        addUnique(resources[c.resource]!, "colocateWith", c.with);
    } else if (need(name, c.first) && need(name, c.then)) {
      addUnique(resources[c.then]!, "after", c.first);
    }
  }
  return issues;
}
