// Review finding 9 through the real engine: etcd commits a VM's create but its answer is lost
// (a proxy holds it until the client's deadline). `pulumi up` still succeeds, the VM is in the
// state once, and the next `up` has nothing to do.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Etcd3 } from "etcd3";
import * as kvm from "../../../sdk/kvm";
import { type LossyProxy, startLossyProxy } from "../../integration/kvm/etcd-proxy";
import { inlineStack, type TestStack, up } from "../../support/engine";
import { startEtcd, type TestEtcd } from "../../support/etcd";

const xml = (n: string) =>
  `<domain type='kvm'><name>${n}</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>`;

let etcd: TestEtcd;
let proxy: LossyProxy;
let withVm = false;

const program = async () => {
  const cluster = new kvm.Cluster("c", {
    name: "lost",
    etcd: { endpoints: [proxy.endpoint] },
    hosts: { h1: { cpu: 4, memoryMiB: 4096 }, h2: { cpu: 4, memoryMiB: 4096 } },
  });
  if (withVm) {
    new kvm.VirtualMachine("web", {
      cluster: cluster.name,
      etcd: cluster.etcd,
      domainXml: xml("web"),
      state: "stopped",
    });
  }
};

describe("KVM: a create whose commit reply is lost (real engine, real etcd behind a lossy proxy)", () => {
  let s: TestStack;
  let client: Etcd3;
  before(async () => {
    etcd = await startEtcd();
    proxy = await startLossyProxy(etcd.endpoint);
    client = new Etcd3({ hosts: etcd.endpoint });
    s = await inlineStack("kvm-lost-reply", program);
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
  });
  after(async () => {
    await s?.dispose();
    client?.close();
    await proxy?.close();
    await etcd?.stop();
  });

  it("up succeeds, the VM is in the state and the spec once, and the next up changes nothing", async () => {
    withVm = true;
    proxy.loseNextTxnReplyFor("/vmha/lost/spec");
    const o = await up(s);
    assert.equal(o.error, undefined, `${o.error}\n${o.diagnostics.join("\n")}`);
    assert.equal(proxy.lost, 1, "the proxy must have lost the create's reply");
    assert.deepEqual(o.ops.get("web"), ["create"]);
    const doc = JSON.parse((await client.get("/vmha/lost/spec").string()) ?? "null");
    assert.deepEqual(Object.keys(doc.resources), ["web"]);
    const again = await up(s);
    assert.equal(again.error, undefined, again.error);
    assert.deepEqual(again.ops.get("web"), ["same"]);
  });
});
