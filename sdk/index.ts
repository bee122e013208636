// vmha: high availability for virtual machines, declared as code.
export * as hyperv from "./hyperv/index";
export * as kvm from "./kvm/index";
export * as vsphere from "./vsphere/index";
