//go:build tools

// Package engine pins the Pulumi CLI and Node.js language host that vmha builds from the Go
// module proxy (no prebuilt binaries can be downloaded on the machines it runs on).
package engine

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
