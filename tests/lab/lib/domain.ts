// Tiny diskless lab VMs (DESIGN.md): 64 MiB, default CPU model (-cpu host aborts under this
// nested KVM), a user-mode NIC with its option ROM off. With KVM unusable, type='qemu' (TCG).
import * as fs from "node:fs";
import { tinyDomain } from "../../../examples/quickstart/domain";

export function kvmUsable(): boolean {
  if (process.env["VMHA_LAB_TCG"] === "1") return false; // force the fallback (to test it)
  try {
    fs.closeSync(fs.openSync("/dev/kvm", "r+"));
    return true;
  } catch {
    return false;
  }
}

export function labDomainXml(name: string, kvm: boolean, memoryMiB = 64): string {
  return tinyDomain(name, memoryMiB, kvm ? "kvm" : "qemu");
}
