// Whether a cluster that no longer answers by its name was deleted (pure). A removed cluster's
// name mostly does not come back as "not found": its DNS record outlives it and Get-Cluster fails
// with "The RPC server is unavailable", which is also what a network blip looks like. So refresh
// asks the cluster's nodes which cluster each belongs to (review finding 16: it retried, then
// failed, and the deleted cluster could not be refreshed away).
import { z } from "zod";
import { optString } from "./ps/parse";
import { cmd, emitJson, hashtable, paren, pipe, type Raw, raw, select, statements } from "./ps/script";

const FEATURE = "Failover-Clustering";

/**
 * Per node: the cluster it belongs to (`Get-Cluster -Name <node>` addresses the cluster through
 * the node), or the error that gave; and whether the node answers at all (Get-WindowsFeature
 * through its name: no cluster service needed).
 */
export function membershipQuery(nodes: readonly string[]): Raw {
  const stmts: Raw[] = [];
  const entries: Record<string, Raw> = {};
  nodes.forEach((n, i) => {
    stmts.push(raw(`$c${i} = $null; $e${i} = $null; $k${i} = $null; $a${i} = $false`));
    const which = paren(pipe(cmd("Get-Cluster", { Name: n }), select("Name", "Id")));
    stmts.push(
      raw(
        `try { $c${i} = ${which.text} } catch { $e${i} = $_.Exception.Message; $k${i} = $_.CategoryInfo.Category.ToString() }`,
      ),
    );
    const answers = cmd("Get-WindowsFeature", { Name: FEATURE, ComputerName: n });
    stmts.push(raw(`try { $null = ${answers.text}; $a${i} = $true } catch { $a${i} = $false }`));
    entries[`n${i}`] = hashtable({
      cluster: raw(`$c${i}`),
      error: raw(`$e${i}`),
      category: raw(`$k${i}`),
      answers: raw(`$a${i}`),
    });
  });
  return statements(...stmts, emitJson(hashtable(entries)));
}

export const membershipResult = z.record(
  z.string(),
  z.object({
    cluster: z.object({ Name: z.string(), Id: z.string() }).nullish(),
    error: optString,
    category: optString,
    answers: z.boolean(),
  }),
);
export type MembershipResult = z.output<typeof membershipResult>;

/** What one node said about the cluster. */
type NodeView = "member" | "other" | "none" | "unclear" | "silent";

/** An answer that says plainly "this node is in no cluster" (not a stopped or unreachable service). */
const NO_CLUSTER = /no cluster|not (a )?(member of|part of) a cluster|was not found/i;

function view(
  r: MembershipResult[string] | undefined,
  name: string,
  id: string | undefined,
): { v: NodeView; text: string } {
  if (!r?.answers) return { v: "silent", text: "does not answer" };
  if (r.cluster) {
    const same = (id && r.cluster.Id === id) || r.cluster.Name.toLowerCase() === name.toLowerCase();
    return same
      ? { v: "member", text: `is still in cluster '${r.cluster.Name}'` }
      : { v: "other", text: `is in another cluster, '${r.cluster.Name}'` };
  }
  const err = (r.error ?? "").replace(/\s+/g, " ").trim();
  if (r.category === "ObjectNotFound" || NO_CLUSTER.test(err))
    return { v: "none", text: `is in no cluster (${err})` };
  return { v: "unclear", text: `answers, but not about its cluster (${err || "no message"})` };
}

export interface Verdict {
  gone: boolean;
  /** One sentence: what each node said. */
  why: string;
}

/**
 * Deleted only when at least one node answers and every node that answers says it is in no
 * cluster or in another one. A node still in it, or one whose cluster service does not answer
 * (a stopped cluster looks like that), keeps the cluster: refresh then fails rather than drop a
 * cluster that exists.
 */
export function clusterVerdict(
  name: string,
  id: string | undefined,
  nodes: readonly string[],
  r: MembershipResult,
): Verdict {
  const views = nodes.map((n, i) => ({ node: n, ...view(r[`n${i}`], name, id) }));
  const said = views.map((x) => `${x.node} ${x.text}`).join("; ");
  const answering = views.filter((x) => x.v !== "silent");
  const gone = answering.length > 0 && answering.every((x) => x.v === "none" || x.v === "other");
  return {
    gone,
    why: gone
      ? `cluster '${name}' does not answer by its name and none of its nodes belongs to it any more (${said}): it was deleted outside Pulumi`
      : `cluster '${name}' does not answer by its name; its nodes: ${said || "none known"}`,
  };
}
