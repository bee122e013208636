// `vmha drill --hook-exec/--hook-url`: the drill's result as a hook event, through the same
// queue, executable and webhook code as the agents' hooks. The CLI waits for the delivery (it
// is a batch job: nothing else runs meanwhile), bounded by what the retries can take.
import * as os from "node:os";
import { type DrillReport, recoverySeconds, reportPassed } from "../drill/report";
import { type HookConfig, type HookConfigInput, parseHookConfig } from "./config";
import { Hooks } from "./dispatch";
import { drillEvent, type HookEvent } from "./events";

export function drillHookEvent(r: DrillReport, at: Date = new Date()): HookEvent {
  const recovery = recoverySeconds(r);
  return drillEvent({
    cluster: r.cluster,
    sentBy: os.hostname(),
    host: r.host,
    startedAt: r.startedAt,
    at: at.toISOString(),
    passed: reportPassed(r),
    limitSeconds: r.limitMs / 1000,
    ...(recovery !== undefined ? { recoverySeconds: recovery } : {}),
    ...(r.error ? { error: `${r.error.step}: ${r.error.message}` } : {}),
  });
}

/** Hooks of a drill, or undefined when none is asked for. Throws on a bad setting (before the drill). */
export function drillHooks(
  input: HookConfigInput,
  log: (level: "info" | "warn" | "error", m: string) => void,
): { hooks: Hooks; cfg: HookConfig } | undefined {
  if (!input.exec && !input.url) {
    if (input.tokenFile) parseHookConfig(input); // says the token needs a URL
    return undefined;
  }
  const cfg = parseHookConfig(input);
  return { hooks: new Hooks(cfg, log, undefined), cfg };
}

/** Longest a delivery with every retry can take. */
export function deliveryBoundMs(cfg: HookConfig): number {
  let ms = 0;
  for (let a = 1; a <= cfg.attempts; a++)
    ms += cfg.timeoutMs + (a < cfg.attempts ? Math.min(cfg.maxBackoffMs, cfg.backoffMs * 2 ** (a - 1)) : 0);
  return ms + 1000;
}
