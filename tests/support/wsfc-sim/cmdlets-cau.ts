// The Cluster-Aware Updating clustered role (self-updating mode) and its schedule.
import * as crypto from "node:crypto";
import { findCluster } from "./cmdlets-cluster";
import type { Cmdlet } from "./interp";
import type { Cluster } from "./state";
import { invalid, obj, PsDate, PsEnum, PsError } from "./values";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const cauParams = {
  clustername: "string",
  daysofweek: "strings",
  weeksofmonth: "ints",
  maxfailednodes: "int",
  maxretriespernode: "int",
  requireallnodesonline: "switch",
  enablefirewallrules: "switch",
  virtualcomputerobjectname: "string",
  startdate: "string",
  force: "switch",
} as const;

function applyCau(c: Cluster, a: Record<string, unknown>): void {
  const cau = c.cau!;
  if (a["daysofweek"]) {
    const days = a["daysofweek"] as string[];
    for (const d of days) if (!DAYS.includes(d)) throw invalid(`'${d}' is not a day of the week.`, d);
    cau.daysOfWeek = days;
  }
  if (a["weeksofmonth"]) {
    const weeks = a["weeksofmonth"] as number[];
    if (weeks.some((x) => x < 1 || x > 5)) throw invalid("WeeksOfMonth must be between 1 and 5.");
    cau.weeksOfMonth = weeks;
  }
  if (a["maxfailednodes"] !== undefined) cau.maxFailedNodes = a["maxfailednodes"] as number;
  if (a["maxretriespernode"] !== undefined) cau.maxRetriesPerNode = a["maxretriespernode"] as number;
  if (a["requireallnodesonline"] !== undefined)
    cau.requireAllNodesOnline = a["requireallnodesonline"] as boolean;
  if (a["startdate"] !== undefined) {
    const ms = Date.parse(String(a["startdate"]));
    if (Number.isNaN(ms)) throw invalid(`'${a["startdate"]}' is not a date.`);
    cau.startDateMs = ms;
  }
}

const addCau: Cmdlet = {
  params: { ...cauParams },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["clustername"]));
    if (a["force"] !== true)
      throw invalid("Add-CauClusterRole needs -Force when not run interactively.", name);
    if (c.cau) throw invalid(`The CAU clustered role is already installed on cluster ${name}.`, name);
    c.cau = {
      daysOfWeek: [],
      weeksOfMonth: [],
      maxFailedNodes: 0,
      maxRetriesPerNode: 3,
      requireAllNodesOnline: false,
      enableFirewallRules: a["enablefirewallrules"] === true,
      virtualComputerObjectName: String(
        a["virtualcomputerobjectname"] ?? `CAU-${crypto.randomBytes(3).toString("hex")}`,
      ),
      startDateMs: Date.UTC(2026, 0, 1, 3, 0, 0),
    };
    applyCau(c, a);
    return [];
  },
};

function cauOf(c: Cluster, name: string) {
  if (!c.cau) {
    throw new PsError(`The CAU clustered role is not installed on cluster ${name}.`, {
      id: "CauRoleNotFound",
      category: "ObjectNotFound",
      target: name,
    });
  }
  return c.cau;
}

const getCau: Cmdlet = {
  params: { clustername: "string" },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["clustername"]));
    const cau = cauOf(c, name);
    const days = cau.daysOfWeek.reduce((s, d) => s | (1 << DAYS.indexOf(d)), 0);
    const pairs: Record<string, unknown> = {
      ResourceGroupName: `CAU${name}rg`,
      StartDate: new PsDate(cau.startDateMs),
      DaysOfWeek: new PsEnum("DayOfWeek", cau.daysOfWeek.join(", "), days),
      WeeksOfMonth: cau.weeksOfMonth.slice(),
      MaxFailedNodes: cau.maxFailedNodes,
      MaxRetriesPerNode: cau.maxRetriesPerNode,
      RequireAllNodesOnline: cau.requireAllNodesOnline,
      VirtualComputerObjectName: cau.virtualComputerObjectName,
    };
    return Object.entries(pairs).map(([k, v]) => obj("ClusterRoleParameter", { Name: k, Value: v }));
  },
};

const setCau: Cmdlet = {
  params: { ...cauParams },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["clustername"]));
    cauOf(c, name);
    if (a["force"] !== true)
      throw invalid("Set-CauClusterRole needs -Force when not run interactively.", name);
    applyCau(c, a);
    return [];
  },
};

const removeCau: Cmdlet = {
  params: { clustername: "string", force: "switch" },
  run(a, ctx) {
    const [name, c] = findCluster(ctx.world, String(a["clustername"]));
    cauOf(c, name);
    if (a["force"] !== true)
      throw invalid("Remove-CauClusterRole needs -Force when not run interactively.", name);
    c.cau = undefined;
    return [];
  },
};

export const cauCmdlets: Record<string, Cmdlet> = {
  "add-cauclusterrole": addCau,
  "get-cauclusterrole": getCau,
  "set-cauclusterrole": setCau,
  "remove-cauclusterrole": removeCau,
};
