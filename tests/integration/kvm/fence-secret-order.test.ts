// kvm.FenceDevice on a real etcd (review finding 16): the spec never names a secret the agents
// cannot find. Secrets are written before the spec names them, and deleted only after the spec
// stopped naming them: on create, when a host leaves the device, when the secret options go, and
// on delete. The order is read from an etcd watch (revision order).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Etcd3, type IKeyValue } from "etcd3";
import { dispatchV1, type Method } from "../../../provider/core/entry";
import { closeAll } from "../../../provider/kvm/connection";
import { startEtcd, type TestEtcd } from "../../support/etcd";

let etcd: TestEtcd;
let client: Etcd3;
const CLUSTER = "fso";

const call = (key: string, module: string, method: Method, args: unknown[]) =>
  dispatchV1({ key, module, method, args }) as Promise<Record<string, unknown>>;
const fence = (method: Method, args: unknown[]) =>
  call("kvm:FenceDevice", "provider/kvm/resources/fence-device", method, args);

type Event = { op: "put" | "delete"; key: string; value: string };

/** Records every change under the cluster's prefix while `fn` runs, in revision order. */
async function recorded(fn: () => Promise<unknown>): Promise<Event[]> {
  const events: Event[] = [];
  let seen = 0;
  const w = await client.watch().prefix(`/vmha/${CLUSTER}/`).create();
  const on = (op: Event["op"]) => (kv: IKeyValue) => {
    seen = Math.max(seen, Number(kv.mod_revision));
    events.push({ op, key: kv.key.toString().replace(`/vmha/${CLUSTER}/`, ""), value: kv.value.toString() });
  };
  w.on("put", on("put"));
  w.on("delete", on("delete"));
  const start = Number((await client.get("x").exec()).header.revision);
  await fn();
  // The watch has delivered everything once it saw the store's last revision.
  const last = Number((await client.get("x").exec()).header.revision);
  for (let i = 0; i < 250 && last > start && seen < last; i++) await new Promise((r) => setTimeout(r, 20));
  await w.cancel();
  return events;
}

/** Which hosts the spec gives this device, and the secret option names it lists for each. */
function specFence(value: string): Record<string, string[]> {
  const doc = JSON.parse(value) as {
    hosts: Record<string, { fence?: { device: string; secretParams: string[] } }>;
  };
  return Object.fromEntries(
    Object.entries(doc.hosts)
      .filter(([, h]) => h.fence?.device === "bmc")
      .map(([n, h]) => [n, h.fence?.secretParams ?? []]),
  );
}

/**
 * Replays the events: after every one, each host the latest spec names secret options for must
 * have its secrets key in etcd.
 */
function assertNeverDangling(
  initialSecrets: string[],
  initialSpec: Record<string, string[]>,
  events: Event[],
): void {
  const have = new Set(initialSecrets);
  let spec = initialSpec;
  for (const e of events) {
    if (e.key.startsWith("secrets/fence/")) {
      const h = e.key.slice("secrets/fence/".length);
      if (e.op === "put") have.add(h);
      else have.delete(h);
    } else if (e.key === "spec" && e.op === "put") spec = specFence(e.value);
    for (const [h, names] of Object.entries(spec)) {
      if (names.length)
        assert.ok(
          have.has(h),
          `after ${e.op} ${e.key}: the spec names secrets of ${h} that etcd does not hold`,
        );
    }
  }
}

describe("kvm.FenceDevice secret order (real etcd)", () => {
  const etcdConn = () => ({ endpoints: [etcd.endpoint], insecure: true });
  const inputs = (hosts: Record<string, Record<string, string>>, secretParams: Record<string, string>) => ({
    cluster: CLUSTER,
    etcd: etcdConn(),
    name: "bmc",
    agent: "fence_ipmilan",
    params: { username: "admin" },
    hosts,
    secretParams,
  });
  let state: Record<string, unknown> = {};

  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
    await call("kvm:Cluster", "provider/kvm/resources/cluster", "create", [
      {
        name: CLUSTER,
        etcd: etcdConn(),
        hosts: { h1: { cpu: 8, memoryMiB: 8192 }, h2: { cpu: 8, memoryMiB: 8192 } },
      },
    ]);
  });
  after(async () => {
    closeAll();
    client?.close();
    await etcd?.stop();
  });

  const spec = async (): Promise<Record<string, unknown>> => ({ ...state });
  const pw = { h1: ["password"], h2: ["password"] };

  it("create: the secrets exist before the spec names them", async () => {
    const events = await recorded(async () => {
      const r = await fence("create", [
        inputs({ h1: { ip: "192.0.2.1" }, h2: { ip: "192.0.2.2" } }, { password: "pw-1" }),
      ]);
      state = r["outs"] as Record<string, unknown>;
    });
    assert.deepEqual(
      events.map((e) => `${e.op} ${e.key}`),
      ["put secrets/fence/h1", "put secrets/fence/h2", "put spec"],
    );
    assertNeverDangling([], {}, events);
  });

  it("a host leaves the device: its secrets go only after the spec stopped naming them", async () => {
    const olds = await spec();
    const news = inputs({ h1: { ip: "192.0.2.1" } }, { password: "pw-1" });
    const events = await recorded(async () => {
      const r = await fence("update", [`${CLUSTER}/bmc`, olds, news]);
      state = { ...news, ...(r["outs"] as Record<string, unknown>) };
    });
    const order = events.map((e) => `${e.op} ${e.key}`);
    assert.ok(order.indexOf("put spec") < order.indexOf("delete secrets/fence/h2"), order.join(", "));
    assertNeverDangling(["h1", "h2"], pw, events);
  });

  it("the secret options go: the spec drops them before their keys are deleted", async () => {
    const olds = await spec();
    const news = inputs({ h1: { ip: "192.0.2.1" } }, {});
    const events = await recorded(async () => {
      const r = await fence("update", [`${CLUSTER}/bmc`, olds, news]);
      state = { ...news, ...(r["outs"] as Record<string, unknown>) };
    });
    const order = events.map((e) => `${e.op} ${e.key}`);
    assert.ok(order.includes("delete secrets/fence/h1"), order.join(", "));
    assert.ok(order.indexOf("put spec") < order.indexOf("delete secrets/fence/h1"), order.join(", "));
    assertNeverDangling(["h1"], { h1: ["password"] }, events);
  });

  it("delete: the spec first, then the secrets", async () => {
    const olds = inputs({ h1: { ip: "192.0.2.1" }, h2: { ip: "192.0.2.2" } }, { password: "pw-2" });
    await fence("update", [`${CLUSTER}/bmc`, await spec(), olds]);
    const events = await recorded(() => fence("delete", [`${CLUSTER}/bmc`, olds]));
    const order = events.map((e) => `${e.op} ${e.key}`);
    assert.equal(order[0], "put spec", order.join(", "));
    assertNeverDangling(["h1", "h2"], pw, events);
  });
});
