// Refresh of a Hyper-V cluster deleted outside Pulumi (review finding 16), on the WSFC simulator.
// After Remove-Cluster the name mostly does not say "not found": its DNS record outlives the
// cluster and Get-Cluster fails with "The RPC server is unavailable", which was retried and then
// failed the refresh. Now the nodes are asked which cluster they are in: deleted when every node
// that answers is in no cluster (or another one); a stopped cluster or one whose name is offline
// is never dropped from the state.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TerminalError } from "../../../provider/core/errors";
import { clusterVerdict, membershipQuery, membershipResult } from "../../../provider/hyperv/membership";
import { str, wrap } from "../../../provider/hyperv/ps/script";
import { definition as cluster } from "../../../provider/hyperv/resources/failover-cluster";
import { closeSessions } from "../../../provider/hyperv/session";
import { adminShell, newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { testContext } from "./context";
import { grammar } from "./grammar";

describe("refresh of a cluster deleted outside Pulumi", () => {
  let sim: Sim;
  before(() => {
    sim = newSim({ featureInstalled: true, nodes: ["HV1", "HV2", "HV3", "HV4"] });
    sim.activate();
  });
  after(async () => {
    await closeSessions();
    sim.dispose();
  });

  async function create(name: string, nodes: string[]) {
    const inputs = cluster.inputs.parse({ name, nodes, runValidation: false });
    const r = await cluster.create(inputs, testContext());
    return { inputs, outputs: r.outputs };
  }
  async function removeOutside(name: string) {
    const admin = await adminShell(sim);
    try {
      await admin.run(`Remove-Cluster -Cluster '${name}' -Force`);
    } finally {
      await admin.close();
    }
  }
  const stale = (name: string) =>
    sim.edit((w) => {
      w.staleClusterNames = [...(w.staleClusterNames ?? []), name];
    });

  it("its name gives 'RPC server unavailable' and its nodes are in no cluster: deleted", async () => {
    const state = await create("G1", ["HV1", "HV2"]);
    await removeOutside("G1");
    stale("G1");
    const progress: string[] = [];
    const live = await cluster.read("G1", state, testContext({}, progress));
    assert.equal(live, undefined, "refresh drops it from the state");
    assert.ok(
      progress.some((p) =>
        /cluster 'G1' does not answer by its name and none of its nodes belongs to it any more \(HV1 is in no cluster .*HV2 is in no cluster/.test(
          p,
        ),
      ),
      progress.join("\n"),
    );
  });

  it("its nodes now form another cluster: deleted", async () => {
    const state = await create("G3", ["HV3", "HV4"]);
    await removeOutside("G3");
    await create("G4", ["HV3", "HV4"]);
    stale("G3");
    const progress: string[] = [];
    assert.equal(await cluster.read("G3", state, testContext({}, progress)), undefined);
    assert.ok(
      progress.some((p) => /HV3 is in another cluster, 'G4'/.test(p)),
      progress.join("\n"),
    );
  });

  it("a stopped cluster (service down on every node) is not dropped: refresh fails and says what to do", async () => {
    const state = await create("G2", ["HV1", "HV2"]);
    sim.edit((w) => {
      w.clusters["G2"]!.stopped = true;
    });
    await assert.rejects(cluster.read("G2", state, testContext()), (e: unknown) => {
      assert.ok(e instanceof TerminalError, String(e));
      assert.match(e.message, /The RPC server is unavailable/);
      assert.match(
        e.message,
        /cluster 'G2' does not answer by its name; its nodes: HV1 answers, but not about its cluster/,
      );
      assert.match(e.message, /pulumi state delete <urn>.*Start-Cluster/);
      return true;
    });
    sim.edit((w) => {
      delete w.clusters["G2"]!.stopped;
    });
    assert.ok(await cluster.read("G2", state, testContext()), "started again: read as before");
  });

  it("an existing cluster whose name is offline is not dropped: its nodes still belong to it", async () => {
    await removeOutside("G2");
    const state = await create("G5", ["HV1", "HV2"]);
    stale("G5");
    await assert.rejects(cluster.read("G5", state, testContext()), /HV1 is still in cluster 'G5'/);
  });
});

describe("the nodes' question and the verdict", () => {
  it("parses as PowerShell (tree-sitter), locally and remotely, each node name one literal", async () => {
    const parser = await grammar();
    const nodes = ["HV1", "a'; Stop-Computer; '", "東京"];
    for (const script of [wrap(membershipQuery(nodes)), wrap(membershipQuery(nodes), "vmhaSession")]) {
      const tree = parser.parse(script);
      assert.ok(tree && !tree.rootNode.hasError, script);
      for (const n of nodes) assert.ok(script.includes(str(n)), n);
    }
  });

  // As PowerShell prints it, through the same schema the provider reads it with.
  const r = (o: Record<string, unknown>) => membershipResult.parse(o);
  it("decides deleted only when every node that answers is outside the cluster", () => {
    const none = { error: "The cluster 'HV1' was not found.", category: "ObjectNotFound", answers: true };
    const silent = { answers: false };
    const member = { cluster: { Name: "C", Id: "id-1" }, answers: true };
    const stopped = {
      error: "The cluster service is not running on 'HV2'.",
      category: "InvalidOperation",
      answers: true,
    };
    assert.equal(clusterVerdict("C", "id-1", ["HV1", "HV2"], r({ n0: none, n1: none })).gone, true);
    assert.equal(clusterVerdict("C", "id-1", ["HV1", "HV2"], r({ n0: none, n1: silent })).gone, true);
    assert.equal(
      clusterVerdict("C", "id-1", ["HV1", "HV2"], r({ n0: silent, n1: silent })).gone,
      false,
      "nothing answers: cannot tell",
    );
    assert.equal(clusterVerdict("C", "id-1", ["HV1", "HV2"], r({ n0: none, n1: member })).gone, false);
    assert.equal(
      clusterVerdict("C", "id-1", ["HV1", "HV2"], r({ n0: none, n1: stopped })).gone,
      false,
      "a stopped service is not proof",
    );
    assert.equal(
      clusterVerdict("C", "id-1", ["HV1"], r({ n0: { cluster: { Name: "c", Id: "other" }, answers: true } }))
        .gone,
      false,
      "same name (any case): still the cluster",
    );
    assert.equal(
      clusterVerdict("C", "id-1", ["HV1"], r({ n0: { cluster: { Name: "D", Id: "id-2" }, answers: true } }))
        .gone,
      true,
    );
  });
});
