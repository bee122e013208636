// kvm.Cluster and kvm.FenceDevice check() failures, on the field: the cluster runs the runtime's
// own spec parser (provider/runtime/core/spec.ts), so its timing rules (leaseTtlMs in whole
// seconds, the isolation budget) fail at preview instead of at the write; fence passwords never
// go into plain params.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkInputs } from "../../../provider/core/check";
import { clusterFailures } from "../../../provider/kvm/resources/cluster";
import { clusterSchema } from "../../../provider/kvm/resources/cluster.schema";
import { fenceDeviceSchema } from "../../../provider/kvm/resources/fence-device.schema";

const cluster = (extra: Record<string, unknown> = {}) =>
  clusterSchema.inputs.parse({
    name: "prod",
    etcd: { endpoints: ["10.0.0.5:2379"] },
    hosts: { h1: { cpu: 8, memoryMiB: 8192 }, h2: { cpu: 8, memoryMiB: 8192 } },
    ...extra,
  });

describe("kvm.Cluster check", () => {
  it("accepts the runtime's defaults", () => {
    assert.deepEqual(clusterFailures(cluster()), []);
    assert.deepEqual(clusterFailures(cluster({ timing: { isolationBudgetMs: 700, leaseTtlMs: 2000 } })), []);
  });

  it("refuses a lease TTL that is not whole seconds, on timing.leaseTtlMs", () => {
    assert.deepEqual(clusterFailures(cluster({ timing: { leaseTtlMs: 1500 } })), [
      {
        property: "timing.leaseTtlMs",
        reason: "leaseTtlMs (1500) must be whole seconds: etcd grants leases in seconds",
      },
    ]);
  });

  it("refuses an isolation budget the self-fence deadline cannot hold, stating the numbers", () => {
    const f = clusterFailures(cluster({ timing: { isolationBudgetMs: 5000 } }));
    assert.deepEqual(
      f.map((x) => x.property),
      ["timing.isolationBudgetMs"],
    );
    assert.match(f[0]!.reason, /isolationBudgetMs \(5000\)/);
  });

  it("names admission-control hosts that the cluster lacks, and maps defaults to resourceDefaults", () => {
    const f = clusterFailures(cluster({ admissionControl: { policy: "dedicatedHosts", hosts: ["h9"] } }));
    assert.deepEqual(f, [
      { property: "admissionControl.hosts", reason: "names host h9, which is not in hosts" },
    ]);
  });
});

describe("kvm.FenceDevice check", () => {
  it("refuses a password in plain params or per-host options, naming secretParams", () => {
    const r = checkInputs(
      fenceDeviceSchema.inputs,
      {
        cluster: "prod",
        etcd: { endpoints: ["h:2379"] },
        name: "ipmi",
        agent: "fence_ipmilan",
        params: { username: "admin", passwd: "hunter2" },
        hosts: { h1: { ip: "192.0.2.1", password: "hunter3" } },
      },
      ["etcd", "secretParams"],
    );
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(
      r.failures.map((f) => f.property),
      ["params", "hosts.h1"],
    );
    assert.match(r.failures[0]!.reason, /^passwd is a secret: move it to secretParams/);
    assert.match(r.failures[1]!.reason, /^password is a secret/);
    assert.ok(!/hunter/.test(JSON.stringify(r.failures)), "a check failure must not quote the secret");
  });

  it("refuses every known secret option name in params, and only those (finding 16)", () => {
    const refused = (k: string) => {
      const r = checkInputs(
        fenceDeviceSchema.inputs,
        {
          cluster: "prod",
          etcd: { endpoints: ["h:2379"] },
          name: "d",
          agent: "fence_apc_snmp",
          params: { [k]: "s3cr3t-value" },
          hosts: { h1: {} },
        },
        ["etcd", "secretParams"],
      );
      if (!r.ok) assert.ok(!JSON.stringify(r.failures).includes("s3cr3t-value"), k);
      return (
        !r.ok && r.failures.some((f) => f.reason.startsWith(`${k} is a secret: move it to secretParams`))
      );
    };
    for (const k of [
      "passwd",
      "password",
      "snmp_priv_passwd",
      "community",
      "secret_key",
      "secret-key",
      "api_key",
      "token",
    ])
      assert.equal(refused(k), true, k);
    for (const k of ["passwd_script", "identity_file", "username", "ip", "plug", "snmp_version", "tokenfile"])
      assert.equal(refused(k), false, k);
  });
});
