// vSphere HA as code over vim25: clusters, HA settings, admission control, VM overrides.
// Connection: stack config vmha:vsphereServer / vmha:vsphereUser / vmha:vspherePassword (secret) /
// vmha:vsphereAllowUnverifiedSsl / vmha:vsphereCaFile, or VSPHERE_SERVER, VSPHERE_USER,
// VSPHERE_PASSWORD, VSPHERE_ALLOW_UNVERIFIED_SSL, VSPHERE_CA_FILE.
export { AdmissionControl } from "./admission-control";
export { Cluster } from "./cluster";
export { HaSettings } from "./ha-settings";
export { VmOverride } from "./vm-override";
