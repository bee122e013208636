// Tiny diskless lab VMs (DESIGN.md): 64 MiB, default CPU model (-cpu host aborts under this
// nested KVM), a user-mode NIC with its option ROM off. With KVM unusable, type='qemu' (TCG).
import * as fs from "node:fs";

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
  return `<domain type='${kvm ? "kvm" : "qemu"}'>
  <name>${name}</name>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='user'><model type='virtio'/><rom enabled='no'/></interface>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}
