// Review finding 5 through the real engine and a real etcd: one `pulumi up` that adds a VM and
// resources referring to it (a VIP colocated with it, a VM started after it, an order
// constraint) to a cluster that already exists previews and applies; a reference that is still
// missing when written fails on its own property; a password over plain HTTP fails at preview
// (finding 10). Resources are `stopped`, so no agents are needed.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Etcd3 } from "etcd3";
import * as kvm from "../../../sdk/kvm";
import { inlineStack, preview, type TestStack, up } from "../../support/engine";
import { startEtcd, type TestEtcd } from "../../support/etcd";

const xml = (n: string) =>
  `<domain type='kvm'><name>${n}</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>`;

let etcd: TestEtcd;
let client: Etcd3;
/** What the program declares; each test sets it before running the engine. */
let step: "base" | "together" | "typo" | "self" | "password" = "base";

const program = async () => {
  const cluster = new kvm.Cluster("c", {
    name: "same-up",
    etcd: { endpoints: [etcd.endpoint] },
    hosts: { h1: { cpu: 4, memoryMiB: 4096 }, h2: { cpu: 4, memoryMiB: 4096 } },
  });
  const ref = { cluster: cluster.name, etcd: cluster.etcd, state: "stopped" as const };
  const web = new kvm.VirtualMachine("web", { ...ref, domainXml: xml("web") });
  if (step === "base") return;
  if (step === "together") {
    const web2 = new kvm.VirtualMachine("web2", { ...ref, domainXml: xml("web2") });
    new kvm.VirtualIp("vip2", {
      ...ref,
      ip: "192.0.2.12",
      cidrNetmask: 24,
      placement: { colocateWith: [web2.name] },
    });
    new kvm.VirtualMachine("app2", { ...ref, domainXml: xml("app2"), placement: { after: [web2.name] } });
    new kvm.Constraint("web2-after-web", {
      cluster: cluster.name,
      etcd: cluster.etcd,
      order: { first: web.name, then: web2.name },
    });
  }
  if (step === "typo") {
    new kvm.VirtualMachine("typo", { ...ref, domainXml: xml("typo"), placement: { after: ["web3"] } });
  }
  if (step === "self") {
    new kvm.VirtualMachine("loop", { ...ref, domainXml: xml("loop"), placement: { after: ["loop"] } });
  }
  if (step === "password") {
    new kvm.Cluster("c2", {
      name: "same-up-2",
      etcd: { endpoints: [etcd.endpoint], username: "vmha", password: "plain-pw" },
      hosts: { h1: { cpu: 4, memoryMiB: 4096 } },
    });
  }
};

async function spec(): Promise<{
  resources: Record<string, { placement?: unknown }>;
  constraints?: unknown;
}> {
  return JSON.parse((await client.get("/vmha/same-up/spec").string()) ?? "null");
}

describe("KVM: resources that refer to each other, added in one update (real engine, real etcd)", () => {
  let s: TestStack;
  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
    s = await inlineStack("kvm-same-up", program);
    step = "base";
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
  });
  after(async () => {
    await s?.dispose();
    client?.close();
    await etcd?.stop();
  });

  it("previews and applies a new VM with a VIP colocated with it, a VM after it and an order constraint", async () => {
    step = "together";
    const p = await preview(s);
    assert.equal(p.error, undefined, `${p.error}\n${p.diagnostics.join("\n")}`);
    const o = await up(s);
    assert.equal(o.error, undefined, `${o.error}\n${o.diagnostics.join("\n")}`);
    const doc = await spec();
    assert.deepEqual(Object.keys(doc.resources).sort(), ["app2", "vip2", "web", "web2"]);
    assert.deepEqual(doc.resources.vip2!.placement, { colocateWith: ["web2"] });
    assert.deepEqual(doc.resources.app2!.placement, { after: ["web2"] });
    assert.deepEqual(doc.constraints, { "web2-after-web": { type: "order", first: "web", then: "web2" } });
  });

  it("a name that is still missing when written fails on its property, with what to do", async () => {
    step = "typo";
    const o = await up(s);
    assert.ok(o.error, "up must fail");
    assert.match(
      o.diagnostics.join("\n"),
      /vm typo: placement\.after\[0\] names resource web3, which is not in cluster same-up's spec; if it is created in this same update, pass its output/,
    );
    assert.doesNotMatch(o.diagnostics.join("\n"), /reservation/);
    assert.equal((await spec()).resources.typo, undefined);
  });

  it("a resource that names itself fails at preview, on that property", async () => {
    step = "self";
    const p = await preview(s);
    assert.ok(p.error, "preview must fail");
    assert.match(p.diagnostics.join("\n"), /'loop': property placement\.after\[0\] .*names loop itself/);
  });

  it("an etcd password over plain HTTP fails at preview, naming etcd.caCert and insecure", async () => {
    step = "password";
    const p = await preview(s);
    assert.ok(p.error, "preview must fail");
    const d = p.diagnostics.join("\n");
    assert.match(
      d,
      /'c2': property etcd\.caCert .*would be sent in clear text: give caCert .*insecure: true/,
    );
    assert.ok(!d.includes("plain-pw"), "the password must not be echoed");
    step = "base";
  });
});
