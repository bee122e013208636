// The quickstart: the seed's Pacemaker example (pcs cluster setup, pcs stonith create, pcs
// resource create … VirtualDomain / IPaddr2) as a vmha program, on the local lab that
// `npm run demo` brings up. A 3-host cluster with a fence device per host, three VMs of
// different restart priorities, a virtual IP that follows the most important VM, and admission
// control that keeps enough capacity to restart everything after one host failure (N+1).
import * as pulumi from "@pulumi/pulumi";
import { kvm } from "../../sdk";
import { tinyDomain } from "./domain";

const config = new pulumi.Config();
const hosts = (config.get("hosts") ?? "h1,h2,h3").split(",");
const domainType = config.get("domainType") === "qemu" ? "qemu" : "kvm";
// Where hosts reach each other's libvirt, for live migration when a host is drained.
const addresses = config.getObject<Record<string, string>>("hostAddresses") ?? {};

const cluster = new kvm.Cluster("quickstart", {
  name: config.get("clusterName") ?? "lab",
  etcd: { endpoints: config.require("etcdEndpoints").split(",") },
  hosts: Object.fromEntries(hosts.map((h) => [h, { cpu: 2, memoryMiB: 1024, address: addresses[h] }])),
  // Keep enough spare capacity to restart every protected VM after one host fails.
  admissionControl: { policy: "hostFailures", hostFailures: 1 },
  resourceDefaults: { isolationResponse: "stop", maxRestarts: 3, maxRelocations: 1 },
});
const ref = { cluster: cluster.name, etcd: cluster.etcd };

// One out-of-band power device per host (the lab's BMC; fence_ipmilan or fence_redfish in a
// datacenter). vmha restarts a failed host's VMs only after this device confirmed it off.
new kvm.FenceDevice("bmc", {
  ...ref,
  name: "bmc",
  agent: config.require("fenceAgent"),
  params: config.requireObject<Record<string, string>>("fenceParams"),
  hosts: Object.fromEntries(hosts.map((h) => [h, {}])),
});

const vm = (name: string, priority: "highest" | "medium" | "low", memoryMiB: number) =>
  new kvm.VirtualMachine(name, {
    ...ref,
    domainXml: tinyDomain(name, memoryMiB, domainType),
    priority,
    reservation: { cpu: 0.5, memoryMiB },
    monitoring: { intervalMs: 1000, sensitivity: "high" },
  });

const web = vm("web", "highest", 64);
const app = vm("app", "medium", 64);
const batch = vm("batch", "low", 64);

// `pcs resource create virtual_ip ocf:heartbeat:IPaddr2 ip=… cidr_netmask=24`, kept on web's host.
const vip = new kvm.VirtualIp("vip", {
  ...ref,
  ip: config.get("vip") ?? "10.77.0.100",
  cidrNetmask: 24,
  nic: "eth0",
  placement: { colocateWith: [web.name] },
});

export const clusterName = cluster.name;
export const placement = { web: web.host, app: app.host, batch: batch.host, vip: vip.host };
