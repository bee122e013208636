// The etcd server vmha's lab and tests run: the upstream etcd main, built from the Go module
// proxy at the version go.mod pins. Debian's etcd-server (3.4.23) has etcd-io/etcd#15247: a
// leader stalled past a lease TTL revokes, on resuming, leases the new leader kept renewing
// (fixed in 3.4.28, 3.5.11 and 3.6 by etcd-io/etcd#16822), which isolates healthy hosts.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
