package main

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func oneOf(v string, allowed ...string) bool {
	if v == "" {
		return true
	}
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func invalid(property, msg string) types.BaseMethodFault {
	return &types.InvalidArgument{InvalidProperty: property, RuntimeFault: types.RuntimeFault{MethodFault: types.MethodFault{
		FaultMessage: []types.LocalizableMessage{{Key: "dassim.invalid", Message: msg}},
	}}}
}

// validateDas rejects what vCenter rejects: unknown enum values, out-of-range numbers, references
// to objects that do not exist or are not the expected kind.
func validateDas(ctx *simulator.Context, c *dasCluster, d *types.ClusterDasConfigInfo) types.BaseMethodFault {
	if !oneOf(d.VmMonitoring, "vmMonitoringDisabled", "vmMonitoringOnly", "vmAndAppMonitoring") {
		return invalid("dasConfig.vmMonitoring", d.VmMonitoring)
	}
	if !oneOf(d.HostMonitoring, "enabled", "disabled") {
		return invalid("dasConfig.hostMonitoring", d.HostMonitoring)
	}
	if !oneOf(d.VmComponentProtecting, "enabled", "disabled") {
		return invalid("dasConfig.vmComponentProtecting", d.VmComponentProtecting)
	}
	if !oneOf(d.HBDatastoreCandidatePolicy, "allFeasibleDs", "userSelectedDs", "allFeasibleDsWithUserPreference") {
		return invalid("dasConfig.hBDatastoreCandidatePolicy", d.HBDatastoreCandidatePolicy)
	}
	for _, ds := range d.HeartbeatDatastore {
		if _, ok := ctx.Map.Get(ds).(*simulator.Datastore); !ok {
			return &types.ManagedObjectNotFound{Obj: ds}
		}
	}
	if f := validateVmSettings(d.DefaultVmSettings, "dasConfig.defaultVmSettings", false); f != nil {
		return f
	}
	switch p := d.AdmissionControlPolicy.(type) {
	case nil:
	case *types.ClusterFailoverLevelAdmissionControlPolicy:
		if p.FailoverLevel < 1 || int(p.FailoverLevel) > 31 {
			return invalid("dasConfig.admissionControlPolicy.failoverLevel", fmt.Sprint(p.FailoverLevel))
		}
		if s, ok := p.SlotPolicy.(*types.ClusterFixedSizeSlotPolicy); ok && (s.Cpu < 0 || s.Memory < 0) {
			return invalid("dasConfig.admissionControlPolicy.slotPolicy", "negative slot size")
		}
	case *types.ClusterFailoverResourcesAdmissionControlPolicy:
		if p.CpuFailoverResourcesPercent < 0 || p.CpuFailoverResourcesPercent > 100 {
			return invalid("dasConfig.admissionControlPolicy.cpuFailoverResourcesPercent", fmt.Sprint(p.CpuFailoverResourcesPercent))
		}
		if p.MemoryFailoverResourcesPercent < 0 || p.MemoryFailoverResourcesPercent > 100 {
			return invalid("dasConfig.admissionControlPolicy.memoryFailoverResourcesPercent", fmt.Sprint(p.MemoryFailoverResourcesPercent))
		}
	case *types.ClusterFailoverHostAdmissionControlPolicy:
		for _, h := range p.FailoverHosts {
			host, ok := ctx.Map.Get(h).(*simulator.HostSystem)
			if !ok {
				return &types.ManagedObjectNotFound{Obj: h}
			}
			if host.Parent == nil || *host.Parent != c.Self {
				return invalid("dasConfig.admissionControlPolicy.failoverHosts", h.Value+" is not in this cluster")
			}
		}
	default:
		return invalid("dasConfig.admissionControlPolicy", fmt.Sprintf("%T", p))
	}
	return nil
}

func validateVmSettings(s *types.ClusterDasVmSettings, at string, perVm bool) types.BaseMethodFault {
	if s == nil {
		return nil
	}
	prio := []string{"disabled", "lowest", "low", "medium", "high", "highest"}
	iso := []string{"none", "powerOff", "shutdown"}
	if perVm {
		prio = append(prio, "clusterRestartPriority")
		iso = append(iso, "clusterIsolationResponse")
	}
	if !oneOf(s.RestartPriority, prio...) {
		return invalid(at+".restartPriority", s.RestartPriority)
	}
	if !oneOf(s.IsolationResponse, iso...) {
		return invalid(at+".isolationResponse", s.IsolationResponse)
	}
	if s.RestartPriorityTimeout < -1 {
		return invalid(at+".restartPriorityTimeout", fmt.Sprint(s.RestartPriorityTimeout))
	}
	if t := s.VmToolsMonitoringSettings; t != nil {
		if !oneOf(t.VmMonitoring, "vmMonitoringDisabled", "vmMonitoringOnly", "vmAndAppMonitoring") {
			return invalid(at+".vmToolsMonitoringSettings.vmMonitoring", t.VmMonitoring)
		}
		if t.FailureInterval < 0 || t.MinUpTime < 0 || t.MaxFailures < 0 || t.MaxFailureWindow < -1 {
			return invalid(at+".vmToolsMonitoringSettings", "negative value")
		}
	}
	if p := s.VmComponentProtectionSettings; p != nil {
		if !oneOf(p.VmStorageProtectionForAPD, "disabled", "warning", "restartConservative", "restartAggressive", "clusterDefault") {
			return invalid(at+".vmComponentProtectionSettings.vmStorageProtectionForAPD", p.VmStorageProtectionForAPD)
		}
		if !oneOf(p.VmStorageProtectionForPDL, "disabled", "warning", "restartAggressive", "clusterDefault") {
			return invalid(at+".vmComponentProtectionSettings.vmStorageProtectionForPDL", p.VmStorageProtectionForPDL)
		}
		if !oneOf(p.VmReactionOnAPDCleared, "none", "reset", "useClusterDefault") {
			return invalid(at+".vmComponentProtectionSettings.vmReactionOnAPDCleared", p.VmReactionOnAPDCleared)
		}
	}
	return nil
}

// strictModify (-modify-strict) takes vim25's "an unset property has no effect" literally where
// vmha's reading of modify=true cannot be proven without a vCenter: an option sent with an empty
// value is kept with that empty value, a policy sent without heartbeat datastores keeps the old
// list, and an admission policy of the same type sent without a slot policy keeps the old one.
// Tests run vmha against it to prove it fails clearly (or reads back correctly) if vCenter does so.
var strictModify bool

// forgetWriteOnly drops what vCenter does not persist: enableAPDTimeoutForHosts ("this property is
// not persisted by vSphere backend", vim25 reference), so a read never returns what was sent.
func forgetWriteOnly(d types.ClusterDasConfigInfo) types.ClusterDasConfigInfo {
	if d.DefaultVmSettings != nil && d.DefaultVmSettings.VmComponentProtectionSettings != nil {
		vm := *d.DefaultVmSettings
		p := *vm.VmComponentProtectionSettings
		p.EnableAPDTimeoutForHosts = nil
		vm.VmComponentProtectionSettings = &p
		d.DefaultVmSettings = &vm
	}
	return d
}

// mergeDas applies a spec with modify=true: fields the spec sets replace the current ones, unset
// fields stay; options merge by key (an empty value removes the key); the heartbeat datastore
// list is replaced when the spec names a candidate policy.
func mergeDas(cur types.ClusterDasConfigInfo, s types.ClusterDasConfigInfo) types.ClusterDasConfigInfo {
	out := cur
	if s.Enabled != nil {
		out.Enabled = s.Enabled
	}
	if s.VmMonitoring != "" {
		out.VmMonitoring = s.VmMonitoring
	}
	if s.HostMonitoring != "" {
		out.HostMonitoring = s.HostMonitoring
	}
	if s.VmComponentProtecting != "" {
		out.VmComponentProtecting = s.VmComponentProtecting
	}
	if s.FailoverLevel != 0 {
		out.FailoverLevel = s.FailoverLevel
	}
	if s.AdmissionControlPolicy != nil {
		out.AdmissionControlPolicy = s.AdmissionControlPolicy
		old, wasLevel := cur.AdmissionControlPolicy.(*types.ClusterFailoverLevelAdmissionControlPolicy)
		next, isLevel := s.AdmissionControlPolicy.(*types.ClusterFailoverLevelAdmissionControlPolicy)
		if strictModify && wasLevel && isLevel && next.SlotPolicy == nil && old.SlotPolicy != nil {
			kept := *next
			kept.SlotPolicy = old.SlotPolicy
			out.AdmissionControlPolicy = &kept
		}
	}
	if s.AdmissionControlEnabled != nil {
		out.AdmissionControlEnabled = s.AdmissionControlEnabled
	}
	if s.DefaultVmSettings != nil {
		out.DefaultVmSettings = mergeVmSettings(cur.DefaultVmSettings, s.DefaultVmSettings)
	}
	if len(s.Option) > 0 {
		out.Option = mergeOptions(cur.Option, s.Option)
	}
	if s.HBDatastoreCandidatePolicy != "" {
		out.HBDatastoreCandidatePolicy = s.HBDatastoreCandidatePolicy
		if !strictModify || len(s.HeartbeatDatastore) > 0 {
			out.HeartbeatDatastore = s.HeartbeatDatastore
		}
	} else if len(s.HeartbeatDatastore) > 0 {
		out.HeartbeatDatastore = s.HeartbeatDatastore
	}
	return out
}

func mergeOptions(cur, set []types.BaseOptionValue) []types.BaseOptionValue {
	out := append([]types.BaseOptionValue{}, cur...)
	for _, o := range set {
		v := o.GetOptionValue()
		idx := -1
		for i, c := range out {
			if c.GetOptionValue().Key == v.Key {
				idx = i
			}
		}
		empty := v.Value == nil || v.Value == ""
		switch {
		case idx >= 0 && empty && strictModify:
			out[idx] = &types.OptionValue{Key: v.Key, Value: ""}
		case idx >= 0 && empty:
			out = append(out[:idx], out[idx+1:]...)
		case idx >= 0:
			out[idx] = o
		case !empty:
			out = append(out, o)
		}
	}
	return out
}

func mergeVmSettings(cur, s *types.ClusterDasVmSettings) *types.ClusterDasVmSettings {
	if cur == nil {
		c := *s
		return &c
	}
	out := *cur
	if s.RestartPriority != "" {
		out.RestartPriority = s.RestartPriority
	}
	if s.RestartPriorityTimeout != 0 {
		out.RestartPriorityTimeout = s.RestartPriorityTimeout
	}
	if s.IsolationResponse != "" {
		out.IsolationResponse = s.IsolationResponse
	}
	if t := s.VmToolsMonitoringSettings; t != nil {
		if out.VmToolsMonitoringSettings == nil {
			c := *t
			out.VmToolsMonitoringSettings = &c
		} else {
			m := *out.VmToolsMonitoringSettings
			if t.Enabled != nil {
				m.Enabled = t.Enabled
			}
			if t.VmMonitoring != "" {
				m.VmMonitoring = t.VmMonitoring
			}
			if t.ClusterSettings != nil {
				m.ClusterSettings = t.ClusterSettings
			}
			if t.FailureInterval != 0 {
				m.FailureInterval = t.FailureInterval
			}
			if t.MinUpTime != 0 {
				m.MinUpTime = t.MinUpTime
			}
			if t.MaxFailures != 0 {
				m.MaxFailures = t.MaxFailures
			}
			if t.MaxFailureWindow != 0 {
				m.MaxFailureWindow = t.MaxFailureWindow
			}
			out.VmToolsMonitoringSettings = &m
		}
	}
	if p := s.VmComponentProtectionSettings; p != nil {
		if out.VmComponentProtectionSettings == nil {
			c := *p
			out.VmComponentProtectionSettings = &c
		} else {
			m := *out.VmComponentProtectionSettings
			if p.VmStorageProtectionForAPD != "" {
				m.VmStorageProtectionForAPD = p.VmStorageProtectionForAPD
			}
			if p.EnableAPDTimeoutForHosts != nil {
				m.EnableAPDTimeoutForHosts = p.EnableAPDTimeoutForHosts
			}
			if p.VmTerminateDelayForAPDSec != 0 {
				m.VmTerminateDelayForAPDSec = p.VmTerminateDelayForAPDSec
			}
			if p.VmReactionOnAPDCleared != "" {
				m.VmReactionOnAPDCleared = p.VmReactionOnAPDCleared
			}
			if p.VmStorageProtectionForPDL != "" {
				m.VmStorageProtectionForPDL = p.VmStorageProtectionForPDL
			}
			out.VmComponentProtectionSettings = &m
		}
	}
	return &out
}

// applyOverrides applies dasVmConfigSpec add/edit/remove to a copy of the current overrides.
func applyOverrides(ctx *simulator.Context, cur []types.ClusterDasVmConfigInfo, specs []types.ClusterDasVmConfigSpec) ([]types.ClusterDasVmConfigInfo, types.BaseMethodFault) {
	out := append([]types.ClusterDasVmConfigInfo{}, cur...)
	for _, s := range specs {
		var key types.ManagedObjectReference
		if s.Operation == types.ArrayUpdateOperationRemove {
			ref, ok := s.RemoveKey.(types.ManagedObjectReference)
			if !ok {
				return nil, invalid("dasVmConfigSpec.removeKey", fmt.Sprintf("%T", s.RemoveKey))
			}
			key = ref
		} else {
			if s.Info == nil {
				return nil, invalid("dasVmConfigSpec.info", "missing")
			}
			key = s.Info.Key
			if _, ok := ctx.Map.Get(key).(*simulator.VirtualMachine); !ok {
				return nil, &types.ManagedObjectNotFound{Obj: key}
			}
			if f := validateVmSettings(s.Info.DasSettings, "dasVmConfigSpec.info.dasSettings", true); f != nil {
				return nil, f
			}
		}
		idx := -1
		for i := range out {
			if out[i].Key == key {
				idx = i
			}
		}
		switch s.Operation {
		case types.ArrayUpdateOperationAdd:
			if idx >= 0 {
				return nil, invalid("dasVmConfigSpec", key.Value+" already has an override")
			}
			out = append(out, *s.Info)
		case types.ArrayUpdateOperationEdit:
			if idx < 0 {
				return nil, invalid("dasVmConfigSpec", key.Value+" has no override")
			}
			if s.Info.DasSettings != nil {
				out[idx].DasSettings = mergeVmSettings(out[idx].DasSettings, s.Info.DasSettings)
			}
		case types.ArrayUpdateOperationRemove:
			if idx < 0 {
				return nil, invalid("dasVmConfigSpec", key.Value+" has no override")
			}
			out = append(out[:idx], out[idx+1:]...)
		default:
			return nil, invalid("dasVmConfigSpec.operation", string(s.Operation))
		}
	}
	return out, nil
}
