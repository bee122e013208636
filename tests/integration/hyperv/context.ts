// An OpContext for calling resource definitions directly (the engine's own context is built the
// same way in provider/core/entry.ts).
import type { OpContext } from "../../../provider/core/resource";
import { withRetries, withTimeout } from "../../../provider/core/retry";

export function testContext(config: Record<string, string> = {}, progress: string[] = []): OpContext {
  return {
    resource: "test",
    config: { get: (k) => config[k] },
    signal: new AbortController().signal,
    progress: (m) => progress.push(m),
    call: (label, fn, opts) =>
      withRetries(
        label,
        () => withTimeout(label, opts?.timeoutMs ?? 60_000, fn),
        opts?.retry ?? { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
      ),
  };
}
