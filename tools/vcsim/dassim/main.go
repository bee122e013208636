// dassim: govmomi's vCenter simulator, plus the one thing vmha's tests need that vcsim lacks:
// a cluster keeps its whole HA configuration. Stock vcsim stores only `enabled` and
// `admissionControlEnabled` of a cluster's dasConfig and only restart priority/timeout of VM
// overrides. dassim intercepts ReconfigureComputeResource_Task (and the older
// ReconfigureCluster_Task) on clusters, decodes the spec through govmomi's vim25 types (a wrong
// xsi:type fails to decode; a misspelled element is dropped and then fails to read back), checks
// enum values and references as vCenter does, and applies every HA field with `modify` semantics. It also implements Destroy_Task on clusters, which vcsim lacks. Everything else is
// stock vcsim.
//
//	dassim -l 127.0.0.1:0 -username u -password p [-cluster 1 -host 3 -standalone-host 1 -vm 2 -ds 1] [-modify-strict]
//
// Prints `export GOVC_URL=<url> GOVC_SIM_PID=<pid>` on stdout once listening, like vcsim -E -.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// dasProxy receives the HA reconfigure and destroy calls of every cluster. The simulator's
// handler hook cannot swap the object a call goes to (the session registry wins), but it can point
// the call at another registered object: this proxy, which finds the real cluster from the
// request's _this.
type dasProxy struct {
	Self types.ManagedObjectReference
}

var proxyRef = types.ManagedObjectReference{Type: "DassimProxy", Value: "dassim-proxy"}

func (p *dasProxy) Reference() types.ManagedObjectReference { return p.Self }

func cluster(ctx *simulator.Context, ref types.ManagedObjectReference) *dasCluster {
	c, _ := ctx.Map.Get(ref).(*simulator.ClusterComputeResource)
	if c == nil {
		return nil
	}
	return &dasCluster{c}
}

func notFound(ref types.ManagedObjectReference) *soap.Fault {
	return simulator.Fault("", &types.ManagedObjectNotFound{Obj: ref})
}

func (p *dasProxy) ReconfigureComputeResourceTask(ctx *simulator.Context, req *types.ReconfigureComputeResource_Task) soap.HasFault {
	c := cluster(ctx, req.This)
	if c == nil {
		return &methods.ReconfigureComputeResource_TaskBody{Fault_: notFound(req.This)}
	}
	spec, ok := req.Spec.(*types.ClusterConfigSpecEx)
	if !ok {
		return c.ClusterComputeResource.ReconfigureComputeResourceTask(ctx, req)
	}
	return &methods.ReconfigureComputeResource_TaskBody{
		Res: &types.ReconfigureComputeResource_TaskResponse{Returnval: c.reconfigure(ctx, spec.DasConfig, spec.DasVmConfigSpec, req.Modify, func() {
			rest := *spec
			rest.DasConfig, rest.DasVmConfigSpec = nil, nil
			if !emptySpec(&rest) {
				c.ClusterComputeResource.ReconfigureComputeResourceTask(ctx, &types.ReconfigureComputeResource_Task{This: req.This, Spec: &rest, Modify: req.Modify})
			}
		})},
	}
}

func (p *dasProxy) ReconfigureClusterTask(ctx *simulator.Context, req *types.ReconfigureCluster_Task) soap.HasFault {
	c := cluster(ctx, req.This)
	if c == nil {
		return &methods.ReconfigureCluster_TaskBody{Fault_: notFound(req.This)}
	}
	return &methods.ReconfigureCluster_TaskBody{
		Res: &types.ReconfigureCluster_TaskResponse{Returnval: c.reconfigure(ctx, req.Spec.DasConfig, req.Spec.DasVmConfigSpec, req.Modify, func() {})},
	}
}

func (p *dasProxy) DestroyTask(ctx *simulator.Context, req *types.Destroy_Task) soap.HasFault {
	c := cluster(ctx, req.This)
	if c == nil {
		return &methods.Destroy_TaskBody{Fault_: notFound(req.This)}
	}
	return c.destroy(ctx)
}

type dasCluster struct {
	*simulator.ClusterComputeResource
}

func emptySpec(s *types.ClusterConfigSpecEx) bool {
	return s.DrsConfig == nil && len(s.RulesSpec) == 0 && len(s.GroupSpec) == 0 && len(s.DrsVmConfigSpec) == 0 &&
		len(s.VmOrchestrationSpec) == 0 && s.VsanConfig == nil && len(s.VsanHostConfigSpec) == 0
}

func (c *dasCluster) reconfigure(ctx *simulator.Context, das *types.ClusterDasConfigInfo, vms []types.ClusterDasVmConfigSpec, modify bool, rest func()) types.ManagedObjectReference {
	var fault types.BaseMethodFault
	ctx.Map.WithLock(ctx, c.ClusterComputeResource, func() { fault = c.apply(ctx, das, vms, modify, rest) })
	task := simulator.CreateTask(c.ClusterComputeResource, "reconfigureCluster", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, fault
	})
	return task.Run(ctx)
}

// apply validates everything, then changes the cluster: a failed call leaves it as it was.
func (c *dasCluster) apply(ctx *simulator.Context, das *types.ClusterDasConfigInfo, vms []types.ClusterDasVmConfigSpec, modify bool, rest func()) types.BaseMethodFault {
	{
		cfg := c.ConfigurationEx.(*types.ClusterConfigInfoEx)
		next := cfg.DasConfig
		if das != nil {
			if fault := validateDas(ctx, c, das); fault != nil {
				return fault
			}
			if modify {
				next = mergeDas(cfg.DasConfig, *das)
			} else {
				next = *das
			}
		}
		overrides, fault := applyOverrides(ctx, cfg.DasVmConfig, vms)
		if fault != nil {
			return fault
		}
		next = forgetWriteOnly(next)
		cfg.DasConfig = next
		cfg.DasVmConfig = overrides
		// Keep the deprecated `configuration` view in step, as vCenter does.
		c.Configuration.DasConfig = next
		c.Configuration.DasVmConfig = overrides
		rest()
		return nil
	}
}

func main() {
	model := simulator.VPX()
	flag.IntVar(&model.Datacenter, "dc", model.Datacenter, "datacenters")
	flag.IntVar(&model.Cluster, "cluster", model.Cluster, "clusters per datacenter")
	flag.IntVar(&model.ClusterHost, "host", model.ClusterHost, "hosts per cluster")
	flag.IntVar(&model.Host, "standalone-host", model.Host, "standalone hosts")
	flag.IntVar(&model.Datastore, "ds", model.Datastore, "local datastores")
	flag.IntVar(&model.Machine, "vm", model.Machine, "virtual machines per resource pool")
	listen := flag.String("l", "127.0.0.1:0", "listen address")
	user := flag.String("username", "", "login user (any user when empty)")
	pass := flag.String("password", "", "login password")
	stock := flag.Bool("stock", false, "behave exactly like vcsim (no dasConfig persistence)")
	flag.BoolVar(&strictModify, "modify-strict", false, "keep emptied options, omitted heartbeat datastores and slot policies (see strictModify)")
	flag.Parse()

	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	defer model.Remove()
	if !*stock {
		proxy := &dasProxy{Self: proxyRef}
		simulator.Map.Put(proxy)
		simulator.Map.Handler = func(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
			switch m.Name {
			case "ReconfigureComputeResource_Task", "ReconfigureCluster_Task", "Destroy_Task":
				if m.This.Type == "ClusterComputeResource" {
					m.This = proxyRef
					return proxy, nil
				}
			}
			return nil, nil
		}
	}
	u := &url.URL{Host: *listen}
	if *user != "" {
		u.User = url.UserPassword(*user, *pass)
	}
	model.Service.Listen = u
	model.Service.TLS = new(tls.Config)
	s := model.Service.NewServer()
	defer s.Close()
	fmt.Printf("export GOVC_URL=%s GOVC_SIM_PID=%d\n", s.URL, os.Getpid())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
