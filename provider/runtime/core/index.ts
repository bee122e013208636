// Public surface of the KVM HA runtime's pure core (and its shared driver loop).
export * from "./admission";
export { decide } from "./decide";
export { type AgentRuntime, leaseView, newAgentRuntime, runAgent, runIteration } from "./driver";
export { mayCampaign } from "./election";
export * from "./errors";
export { emptyManagerState, runManager } from "./manager";
export * from "./model";
export {
  defaultPlacer,
  hostRejects,
  type PlacementChoice,
  PlacementIndex,
  type PlacementRequest,
  type Placer,
} from "./placement";
export { buildReport } from "./report";
export * from "./spec";
export { HOST_STATES, type HostState, RESOURCE_STATES, type ResourceState, setState } from "./states";
export { checkTiming, type TimingWindows, timingWindows } from "./timing";
export { checkView, HostReportSchema, ManagerStateSchema } from "./validate";
