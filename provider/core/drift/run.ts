// Runs a preview-only refresh of a stack through the Automation API and reports drift.
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { buildReport, type DriftReport } from "./report";

export async function detectDrift(stack: Stack, onProgress?: (line: string) => void): Promise<DriftReport> {
  const events: EngineEvent[] = [];
  await stack.refresh({
    previewOnly: true,
    onEvent: (e) => {
      events.push(e);
      const md = e.resourcePreEvent?.metadata;
      if (md && onProgress) onProgress(`checking ${md.urn.split("::").pop()}`);
    },
    onOutput: () => {},
  });
  return buildReport(stack.name, events, new Date());
}
