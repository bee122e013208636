// Review finding 16, framework: state written by an older vmha (fields missing, one that a newer
// schema rejects) still gets each field's default, so diff shows no replacement of a defaulted
// replaceOn field after an upgrade; and check() never runs platform I/O with the unknown
// sentinel of a preview (a clusterName regex let it through before).
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UNKNOWN } from "../../../provider/core/check";
import { dispatchV1 } from "../../../provider/core/entry";

type Props = Record<string, unknown>;
const call = (key: string, method: "check" | "diff", args: unknown[]) =>
  dispatchV1({ key, module: "", method, args }) as Promise<Props>;

describe("state from an older vmha", () => {
  it("a volume stored without resiliency/fileSystem/storagePool and with a field the schema now rejects: no replace", async () => {
    // As an old version wrote it: no defaults stored, sizeGb as a string.
    const olds = {
      cluster: "HV-Cluster",
      friendlyName: "Volume1",
      sizeGb: "1024",
      csvName: "Cluster Virtual Disk (Volume1)",
      path: "C:\\ClusterStorage\\Volume1",
      sizeBytes: 1024 * 2 ** 30,
    };
    const news = { cluster: "HV-Cluster", friendlyName: "Volume1", sizeGb: 1024 };
    const chk = await call("hyperv:ClusterSharedVolume", "check", [olds, news]);
    assert.deepEqual(chk.failures, [], "no creation-only field reads as changed");
    const d = await call("hyperv:ClusterSharedVolume", "diff", ["Volume1", olds, chk.inputs]);
    assert.deepEqual(d.replaces, []);
  });
});

describe("preview never does platform I/O with unknown values", () => {
  it("kvm.VirtualMachine with an unknown cluster name: no etcd call (the endpoint does not exist), no failure", async () => {
    const t0 = Date.now();
    const chk = await call("kvm:VirtualMachine", "check", [
      {},
      {
        cluster: UNKNOWN,
        etcd: { endpoints: ["127.0.0.1:1"] },
        name: "web",
        domainXml: "<domain type='kvm'><name>web</name></domain>",
      },
    ]);
    assert.deepEqual(chk.failures, []);
    assert.ok(Date.now() - t0 < 2000, "returned without trying etcd");
  });
});
