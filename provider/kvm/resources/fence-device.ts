import { TerminalError } from "../../core/errors";
import { defineResource, type State } from "../../core/resource";
import { clusterPrefix } from "../../runtime/store/keys";
import { etcdFor, insecureReport } from "../connection";
import { isPlaintext } from "../connection.schema";
import { etcdCall, type RawSpec, readSpec, type SpecTarget, updateSpec } from "../spec-store";
import { fenceDeviceSchema } from "./fence-device.schema";

type S = typeof fenceDeviceSchema;
type Inputs = State<S["inputs"], S["outputs"]>["inputs"];
type RawFence = { agent: string; params: Record<string, string>; secretParams: string[]; device?: string };

export function secretsKey(cluster: string, host: string): string {
  return `${clusterPrefix(cluster)}secrets/fence/${host}`;
}

function owner(doc: RawSpec, host: string): string | undefined {
  return (doc.hosts?.[host]?.fence as RawFence | undefined)?.device;
}

/** Gives each listed host this device, and takes it away from hosts no longer listed. */
function apply(doc: RawSpec | undefined, i: Inputs, previous: readonly string[]): RawSpec {
  const subject = `fence device ${i.name}`;
  if (!doc)
    throw new TerminalError(
      `${subject}: cluster ${i.cluster} has no spec in etcd; create the kvm.Cluster first`,
    );
  const hosts = doc.hosts ?? {};
  for (const h of Object.keys(i.hosts)) {
    if (!hosts[h])
      throw new TerminalError(
        `${subject}: host ${h} is not in cluster ${i.cluster} (hosts: ${Object.keys(hosts).join(", ")})`,
      );
    const other = owner(doc, h);
    if (other && other !== i.name) {
      throw new TerminalError(
        `${subject}: host ${h} is already fenced by device ${other}; a host has one fence device`,
      );
    }
    const fence: RawFence = {
      agent: i.agent,
      params: { ...i.params, ...i.hosts[h] },
      secretParams: Object.keys(i.secretParams).sort(),
      device: i.name,
    };
    hosts[h] = { ...hosts[h], fence };
  }
  for (const h of previous) {
    if (!(h in i.hosts) && hosts[h] && owner(doc, h) === i.name) {
      const { fence: _, ...rest } = hosts[h];
      hosts[h] = rest;
    }
  }
  return { ...doc, hosts };
}

const target = (i: Inputs): SpecTarget => ({
  etcd: i.etcd,
  cluster: i.cluster,
  subject: `fence device ${i.name}`,
});

/** Outputs: reports secrets that went over plain HTTP (etcd.insecure). */
const outputsOf = (i: Inputs) => insecureReport(i.etcd, Object.keys(i.secretParams).length > 0);

/**
 * Writes the secrets the device needs now. Puts are idempotent, so a retry after a lost reply
 * just writes the same values again. Runs before the spec names them.
 */
async function putSecrets(i: Inputs): Promise<void> {
  const t = target(i);
  if (!Object.keys(i.secretParams).length) return;
  if (isPlaintext(i.etcd) && i.etcd.insecure !== true) {
    // check() refuses this first; this also covers direct calls and state from older versions.
    throw new TerminalError(
      `${t.subject}: secretParams would be written to etcd in clear text; give etcd.caCert, or set ` +
        "etcd.insecure: true to accept it (test systems only)",
    );
  }
  const etcd = etcdFor(i.etcd, t.subject);
  for (const h of Object.keys(i.hosts))
    await etcdCall(t, () => etcd.put(secretsKey(i.cluster, h)).value(JSON.stringify(i.secretParams)).exec());
}

/**
 * Deletes the secrets no longer needed: of hosts the device no longer fences, and all of them when
 * it has no secret options any more. Runs after the spec stopped naming them (review finding 16:
 * the spec must never name a password an agent cannot find, also while it changes).
 */
async function dropSecrets(i: Inputs, previous: readonly string[]): Promise<void> {
  const t = target(i);
  const etcd = etcdFor(i.etcd, t.subject);
  const none = Object.keys(i.secretParams).length === 0;
  for (const h of Object.keys(i.hosts)) {
    if (none) await etcdCall(t, () => etcd.delete().key(secretsKey(i.cluster, h)).exec());
  }
  for (const h of previous) {
    if (!(h in i.hosts)) await etcdCall(t, () => etcd.delete().key(secretsKey(i.cluster, h)).exec());
  }
}

export const definition = defineResource({
  ...fenceDeviceSchema,
  async create(inputs, ctx) {
    const subject = `fence device ${inputs.name}`;
    // Secrets first: a device in the spec must never name a password the agents cannot find yet.
    await ctx.call(`${subject}: write secrets`, () => putSecrets(inputs));
    await ctx.call(`${subject}: write spec`, () =>
      updateSpec(target(inputs), (doc) => apply(doc, inputs, [])),
    );
    return { id: `${inputs.cluster}/${inputs.name}`, outputs: outputsOf(inputs) };
  },
  async read(_id, current, ctx) {
    const i = current.inputs;
    const stored = await ctx.call(`fence device ${i.name}: read spec`, () => readSpec(target(i)));
    if (!stored) return undefined;
    const hosts: Inputs["hosts"] = {};
    let agent = i.agent;
    for (const [h, spec] of Object.entries(stored.doc.hosts ?? {})) {
      const f = spec.fence as RawFence | undefined;
      if (f?.device !== i.name) continue;
      agent = f.agent;
      // Per-host options are what differs from the shared ones.
      hosts[h] = Object.fromEntries(Object.entries(f.params).filter(([k, v]) => i.params[k] !== v));
    }
    if (Object.keys(hosts).length === 0) return undefined;
    return { inputs: { ...i, agent, hosts }, outputs: outputsOf(i) };
  },
  async update(_id, olds, news, ctx) {
    const subject = `fence device ${news.name}`;
    const previous = Object.keys(olds.inputs.hosts ?? {});
    // New secrets before the spec names them; old ones only once it no longer does.
    await ctx.call(`${subject}: write secrets`, () => putSecrets(news));
    await ctx.call(`${subject}: update spec`, () =>
      updateSpec(target(news), (doc) => apply(doc, news, previous)),
    );
    await ctx.call(`${subject}: remove old secrets`, () => dropSecrets(news, previous));
    return outputsOf(news);
  },
  async delete(_id, state, ctx) {
    const i = state.inputs;
    const subject = `fence device ${i.name}`;
    await ctx.call(`${subject}: remove from spec`, async () => {
      const stored = await readSpec(target(i));
      if (!stored) return; // the cluster is gone already
      await updateSpec(target(i), (doc) => apply(doc, { ...i, hosts: {} }, Object.keys(i.hosts)));
    });
    await ctx.call(`${subject}: remove secrets`, () =>
      dropSecrets({ ...i, hosts: {} }, Object.keys(i.hosts)),
    );
  },
});
