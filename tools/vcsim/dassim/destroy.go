package main

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// destroy removes a cluster, which stock vcsim cannot do: like vCenter, its hosts leave the
// inventory with it, and a cluster whose hosts still run VMs is refused (ResourceInUse).
func (c *dasCluster) destroy(ctx *simulator.Context) soap.HasFault {
	task := simulator.CreateTask(c.ClusterComputeResource, "destroy", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		for _, h := range c.Host {
			if host, ok := ctx.Map.Get(h).(*simulator.HostSystem); ok && len(host.Vm) > 0 {
				return nil, &types.ResourceInUse{Type: "HostSystem", Name: host.Name}
			}
		}
		if f, ok := ctx.Map.Get(*c.Parent).(*simulator.Folder); ok {
			simulator.RemoveReference(&f.ChildEntity, c.Self)
		}
		for _, h := range c.Host {
			ctx.Map.Remove(ctx, h)
		}
		if c.ResourcePool != nil {
			ctx.Map.Remove(ctx, *c.ResourcePool)
		}
		ctx.Map.Remove(ctx, c.Self)
		return nil, nil
	})
	return &methods.Destroy_TaskBody{Res: &types.Destroy_TaskResponse{Returnval: task.Run(ctx)}}
}
