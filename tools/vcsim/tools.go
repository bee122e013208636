//go:build tools

// Pins govmomi's vcsim command in this module, so `go build github.com/vmware/govmomi/vcsim`
// resolves from go.mod/go.sum.
package tools

import _ "github.com/vmware/govmomi/vcsim"
