// A tiny diskless libvirt domain for the quickstart (and the lab's tests): enough for a real
// QEMU/KVM process that HA can start, monitor, fence and restart elsewhere. 64 MiB, the default
// CPU model (-cpu host aborts under nested KVM), a user-mode NIC with its option ROM off (avoids
// a rare emulation failure); type "qemu" (TCG) where /dev/kvm is unusable. Replace it with your
// VMs' own XML (kvm.domainXmlFromFile) in a real cluster.
export function tinyDomain(name: string, memoryMiB: number, type: "kvm" | "qemu"): string {
  return `<domain type='${type}'>
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
