// An OpContext like the framework's, for calling resource definitions directly in integration tests.
import type { ConfigReader, OpContext } from "../../../provider/core/resource";
import { DEFAULT_RETRY, withRetries, withTimeout } from "../../../provider/core/retry";

export function opContext(config: Record<string, string>, progress: string[] = []): OpContext {
  const reader: ConfigReader = { get: (k) => config[k] };
  return {
    resource: "test",
    config: reader,
    signal: new AbortController().signal,
    progress: (m) => progress.push(m),
    call: (label, fn, opts) =>
      withRetries(
        label,
        () => withTimeout(label, opts?.timeoutMs ?? 60_000, fn),
        opts?.retry ?? DEFAULT_RETRY,
      ),
  };
}
