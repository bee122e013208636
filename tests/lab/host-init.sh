#!/bin/sh
# Runs as the child of tini (PID 1) inside a lab host: network, mount, UTS and PID namespaces
# of its own. Gives the host a private /run (like a booted machine; HA_RSCTMP stays private)
# and its own libvirt folders, then runs libvirtd, restarting it when it dies (like systemd's
# Restart=), unless <host dir>/libvirtd.hold exists: then it waits until that file is gone
# (the lab's "libvirtd killed" fault holds it down for a while).
#   host-init.sh <host dir> <host name>
set -eu
d="$1"
echo "$2" > /proc/sys/kernel/hostname
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/libvirt /run/resource-agents /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
mount --bind "$d/run" /run/libvirt
mount --bind "$d/etc" /etc/libvirt
mount --bind "$d/lib" /var/lib/libvirt
mount --bind "$d/cache" /var/cache/libvirt
mount --bind "$d/log" /var/log/libvirt
rm -f "$d/libvirtd.hold"
while :; do
  /usr/sbin/libvirtd --listen || echo "host-init: libvirtd exited ($?)" >&2
  while [ -e "$d/libvirtd.hold" ]; do sleep 0.1; done
done
