// vSphere HA as code: a cluster (created, or adopted), vSphere HA with host and VM monitoring,
// heartbeat datastores and isolation addresses, admission control holding back one host's worth of
// capacity, and per-VM restart priorities for the VMs that matter most.
//
// Connection (stack config or environment, as @pulumi/vsphere users have):
//   pulumi config set vmha:vsphereServer vc.example.com        # or VSPHERE_SERVER
//   pulumi config set vmha:vsphereUser administrator@vsphere.local   # or VSPHERE_USER
//   pulumi config set --secret vmha:vspherePassword …            # or VSPHERE_PASSWORD
//   pulumi config set vmha:vsphereAllowUnverifiedSsl true        # test systems only (VSPHERE_ALLOW_UNVERIFIED_SSL)
//   pulumi config set vmha:vsphereCaFile /path/to/ca.pem          # or VSPHERE_CA_FILE
//
// Program settings (all optional):
//   datacenter   (default DC0)        clusterName (default vmha-demo)     adopt (default false)
//   moveHosts    (JSON list of hosts) esxHosts (JSON list of new ESXi addresses) + --secret esxPassword
//   criticalVms  (JSON list of VM ids or inventory paths restarted first)
//   sensitivity  (low | medium | high, default medium)
//
// On govmomi's vcsim (default inventory): adopt DC0_C0 and protect two of its VMs:
//   pulumi config set clusterName DC0_C0 && pulumi config set adopt true
//   pulumi config set criticalVms '["DC0/vm/DC0_C0_RP0_VM0","DC0/vm/DC0_C0_RP0_VM1"]'
import * as pulumi from "@pulumi/pulumi";
import { vsphere } from "../../sdk";

const config = new pulumi.Config();
const datacenter = config.get("datacenter") ?? "DC0";
const esxPassword = config.getSecret("esxPassword");
const esxHosts = config.getObject<string[]>("esxHosts") ?? [];
const sensitivity = (config.get("sensitivity") ?? "medium") as "low" | "medium" | "high";

const cluster = new vsphere.Cluster("cluster", {
  datacenter,
  name: config.get("clusterName") ?? "vmha-demo",
  adopt: config.getBoolean("adopt") ?? false,
  moveHosts: config.getObject<string[]>("moveHosts") ?? [],
  addHosts: esxPassword
    ? esxPassword.apply((password) => esxHosts.map((address) => ({ address, password })))
    : [],
});

const ha = new vsphere.HaSettings("ha", {
  clusterId: cluster.clusterId,
  hostMonitoring: "enabled",
  vmMonitoring: "vmOnly",
  monitoringSensitivity: sensitivity,
  // Explicit rather than the API default (powerOff): shut guests down cleanly when isolated.
  isolationResponse: "shutdown",
  restartPriority: "medium",
  heartbeatDatastores: { policy: "allFeasibleDsWithUserPreference" },
  isolationAddresses: config.getObject<string[]>("isolationAddresses") ?? [],
  vmComponentProtection: {
    enabled: true,
    apdResponse: "restartConservative",
    pdlResponse: "restartAggressive",
  },
});

// N+1: hold back enough capacity to restart every VM of one failed host.
const admission = new vsphere.AdmissionControl("admission", {
  clusterId: cluster.clusterId,
  policy: { type: "percentage", hostFailuresToTolerate: 1 },
  performanceDegradationTolerance: 100,
});

const overrides = (config.getObject<string[]>("criticalVms") ?? []).map(
  (vm, n) =>
    new vsphere.VmOverride(`critical-${n}`, {
      clusterId: cluster.clusterId,
      vm,
      restartPriority: "highest",
      isolationResponse: "cluster",
    }),
);

export const clusterId = cluster.clusterId;
export const hostIds = cluster.hostIds;
export const haCluster = ha.clusterName;
export const admissionPolicy = admission.policy;
export const protectedVms = pulumi.all(overrides.map((o) => o.vmName));
