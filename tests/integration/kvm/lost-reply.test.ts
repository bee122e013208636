// Review finding 9 on a real etcd: a create whose commit reply is lost (etcd committed, the
// client's deadline passed) is retried by the provider and succeeds, instead of failing for good
// on its own entry; an entry left by an earlier run with exactly the same settings is taken as
// ours; any other entry is refused with the adopt hint, and adopt: true takes it over and
// releases it on delete. Runs through dispatchV1, the entry point the Pulumi shim calls, so the
// real retry layer is in the loop.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Etcd3 } from "etcd3";
import { dispatchV1, type Method } from "../../../provider/core/entry";
import { startEtcd, type TestEtcd } from "../../support/etcd";
import { type LossyProxy, startLossyProxy } from "./etcd-proxy";

const xml = (n: string, mem = 64) =>
  `<domain type='kvm'><name>${n}</name><memory unit='MiB'>${mem}</memory><os><type>hvm</type></os></domain>`;
const KEY = "/vmha/lr/spec";

let etcd: TestEtcd;
let proxy: LossyProxy;
let client: Etcd3;

const call = (key: string, module: string, method: Method, args: unknown[]) =>
  dispatchV1({ key, module, method, args });
const vm = (method: Method, args: unknown[]) =>
  call("kvm:VirtualMachine", "provider/kvm/resources/virtual-machine", method, args);
const conn = () => ({ endpoints: [proxy.endpoint] });
const vmProps = (name: string, extra: Record<string, unknown> = {}) => ({
  cluster: "lr",
  etcd: conn(),
  name,
  domainXml: xml(name),
  state: "stopped",
  ...extra,
});
const spec = async () => JSON.parse((await client.get(KEY).string()) ?? "null");

describe("KVM creates survive a lost commit reply (real etcd behind a lossy proxy)", () => {
  before(async () => {
    etcd = await startEtcd();
    proxy = await startLossyProxy(etcd.endpoint);
    client = new Etcd3({ hosts: etcd.endpoint });
  });
  after(async () => {
    client?.close();
    await proxy?.close();
    await etcd?.stop();
  });

  it("kvm.Cluster: the create whose reply was lost succeeds on its retry", async () => {
    proxy.loseNextTxnReplyFor(KEY);
    const r = (await call("kvm:Cluster", "provider/kvm/resources/cluster", "create", [
      {
        name: "lr",
        etcd: conn(),
        hosts: { h1: { cpu: 4, memoryMiB: 4096 }, h2: { cpu: 4, memoryMiB: 4096 } },
      },
    ])) as { id: string };
    assert.equal(r.id, "lr");
    assert.equal(proxy.lost, 1, "the proxy must have lost one reply");
    assert.deepEqual(Object.keys((await spec()).hosts), ["h1", "h2"]);
  });

  it("kvm.VirtualMachine: the create whose reply was lost succeeds, and writes the entry once", async () => {
    const txnsBefore = proxy.txns;
    proxy.loseNextTxnReplyFor(KEY);
    const r = (await vm("create", [vmProps("web")])) as { id: string; outs: Record<string, unknown> };
    assert.equal(r.id, "lr/web");
    assert.equal(proxy.lost, 2);
    assert.ok(proxy.txns - txnsBefore >= 2, "the txn was retried after the lost reply");
    const doc = await spec();
    assert.deepEqual(Object.keys(doc.resources), ["web"]);
    assert.equal(doc.resources.web.params.domainXml, xml("web"));
  });

  it("an entry an earlier run wrote with exactly these settings is taken as this create's", async () => {
    // The earlier `pulumi up` failed after etcd committed, so web is not in Pulumi's state.
    const r = (await vm("create", [vmProps("web")])) as { id: string; outs: Record<string, unknown> };
    assert.equal(r.id, "lr/web");
    assert.equal(r.outs.vmhaAdopted, undefined, "it is ours, not adopted");
  });

  it("an entry with other settings is refused, naming adopt", async () => {
    await assert.rejects(vm("create", [vmProps("web", { domainXml: xml("web", 128) })]), (e: Error) => {
      assert.equal(e.name, "TerminalError");
      assert.match(
        e.message,
        /^vm web: cluster lr already has a resource named web with other settings .*set adopt: true to take it over/,
      );
      return true;
    });
  });

  it("adopt: true takes it over with the program's settings, and delete releases it", async () => {
    const props = vmProps("web", { domainXml: xml("web", 128), adopt: true });
    const r = (await vm("create", [props])) as { id: string; outs: Record<string, unknown> };
    assert.equal(r.outs.vmhaAdopted, true);
    assert.equal((await spec()).resources.web.params.domainXml, xml("web", 128));
    await vm("delete", [r.id, r.outs]);
    assert.ok(
      (await spec()).resources.web,
      "an adopted entry stays in the spec when its resource is deleted",
    );
  });

  it("kvm.Constraint: a lost reply is survived too", async () => {
    await vm("create", [vmProps("db")]);
    proxy.loseNextTxnReplyFor(KEY);
    const r = (await call("kvm:Constraint", "provider/kvm/resources/constraint", "create", [
      { cluster: "lr", etcd: conn(), name: "web-after-db", order: { first: "db", then: "web" } },
    ])) as { id: string };
    assert.equal(r.id, "lr/web-after-db");
    assert.deepEqual((await spec()).constraints, {
      "web-after-db": { type: "order", first: "db", then: "web" },
    });
  });

  it("refresh of an entry edited by hand into a shape the inputs cannot hold names the field and what to do", async () => {
    const doc = await spec();
    doc.resources.db.priority = "urgent";
    await client.put(KEY).value(JSON.stringify(doc));
    await assert.rejects(vm("read", ["lr/db", vmProps("db")]), (e: Error) => {
      assert.equal(e.name, "TerminalError");
      assert.match(
        e.message,
        /^vm db: its entry in etcd \(\/vmha\/lr\/spec\) was changed outside Pulumi .*priority: .*fix it with etcdctl/,
      );
      return true;
    });
  });
});
