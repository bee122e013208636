// Review finding 16 (already fixed in 1669705, this is its behavioural test): `Get-VM -Name` takes
// a wildcard pattern, so admission control for a VM named `app[1]` read the memory of `app1`
// instead and admitted a VM that does not fit. On the WSFC simulator, whose Get-VM -Name matches
// wildcards as PowerShell does.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { definition as cluster } from "../../../provider/hyperv/resources/failover-cluster";
import { definition as role } from "../../../provider/hyperv/resources/vm-role";
import { closeSessions } from "../../../provider/hyperv/session";
import { newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { testContext } from "./context";

describe("admission control reads the VM named, literally", () => {
  let sim: Sim;
  before(async () => {
    sim = newSim({ featureInstalled: true, vms: { "app[1]": 130, app1: 1 } });
    sim.activate();
    await cluster.create(
      cluster.inputs.parse({ name: "W", nodes: ["HV1", "HV2", "HV3"], runValidation: false }),
      testContext(),
    );
  });
  after(async () => {
    await closeSessions();
    sim.dispose();
  });

  it("app[1] (130 GiB) is refused after one tolerated failure; app1 (1 GiB, what the pattern matches) is admitted", async () => {
    const big = role.inputs.parse({ cluster: "W", vmName: "app[1]", failuresToTolerate: 1 });
    const failures = await role.validate!(big, testContext());
    assert.equal(failures.length, 1, JSON.stringify(failures));
    assert.match(failures[0]!.reason, /refuses VM 'app\[1\]' \(133120 MiB\)/);
    const small = role.inputs.parse({ cluster: "W", vmName: "app1", failuresToTolerate: 1 });
    assert.deepEqual(await role.validate!(small, testContext()), []);
  });
});
