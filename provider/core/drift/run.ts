// Runs a preview-only refresh of a stack through the Automation API and reports drift. When a
// resource's read fails the engine stops the whole refresh, so the failed resources are recorded
// and the refresh runs again without them: one failed read is one error in the report, and every
// other resource is still checked.
import type { EngineEvent, RefreshOptions, Stack } from "@pulumi/pulumi/automation";
import { buildReport, type DriftReport, nameOf, type ReadError, shortType } from "./report";

/** What detectDrift needs of a stack (an automation Stack). */
export type RefreshableStack = Pick<Stack, "name" | "refresh">;

/** At most this many refreshes: each excludes the resources whose reads failed before. */
const MAX_ATTEMPTS = 6;

/** Error diagnostics the engine attached to a resource, by URN (first line of each). */
function failedReads(events: ReadonlyArray<EngineEvent>): ReadError[] {
  const out = new Map<string, ReadError>();
  const types = new Map<string, string>();
  for (const e of events) {
    const md = e.resourcePreEvent?.metadata;
    if (md) types.set(md.urn, md.type);
  }
  for (const e of events) {
    const d = e.diagnosticEvent;
    if (!d?.urn || d.severity !== "error" || out.has(d.urn)) continue;
    // Strip the engine's colour codes; keep the message's own words.
    const message = d.message.replace(/<\{%[^%]*%\}>/g, "").trim();
    out.set(d.urn, {
      urn: d.urn,
      type: shortType(types.get(d.urn) ?? d.urn.split("::")[2] ?? ""),
      name: nameOf(d.urn),
      message: message.length > 2000 ? `${message.slice(0, 1999)}…` : message,
    });
  }
  return [...out.values()];
}

export async function detectDrift(
  stack: RefreshableStack,
  onProgress?: (line: string) => void,
): Promise<DriftReport> {
  const errors: ReadError[] = [];
  for (let attempt = 1; ; attempt++) {
    const events: EngineEvent[] = [];
    const opts: RefreshOptions = {
      previewOnly: true,
      onEvent: (e) => {
        events.push(e);
        const md = e.resourcePreEvent?.metadata;
        if (md && onProgress) onProgress(`checking ${nameOf(md.urn)}`);
      },
      onOutput: () => {},
      ...(errors.length ? { exclude: errors.map((e) => e.urn) } : {}),
    };
    try {
      await stack.refresh(opts);
      return buildReport(stack.name, events, new Date(), errors);
    } catch (err) {
      const failed = failedReads(events).filter((f) => !errors.some((e) => e.urn === f.urn));
      // A failure no resource is blamed for (no stack, no backend, no engine) is the check's own.
      if (failed.length === 0 || attempt >= MAX_ATTEMPTS) throw err;
      for (const f of failed) {
        onProgress?.(`${f.name}: read failed; checking the other resources without it`);
        errors.push(f);
      }
    }
  }
}
