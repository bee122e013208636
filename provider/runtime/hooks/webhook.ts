// The webhook: one HTTP(S) POST of the JSON event per attempt, aborted at the timeout; 2xx is
// delivered, anything else (status, connection error, timeout) is a failed attempt the queue
// retries. The bearer token is never logged.
import type { HookEvent } from "./events";

export interface WebhookOptions {
  url: string;
  timeoutMs: number;
  token?: string;
}

export async function postWebhook(o: WebhookOptions, event: HookEvent): Promise<number> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "vmha-hook/1",
    // receivers dedupe on it; also in the body
    "x-vmha-event-id": event.id,
    "x-vmha-event-kind": event.kind,
  };
  if (o.token) headers["authorization"] = `Bearer ${o.token}`;
  let res: Response;
  try {
    res = await fetch(o.url, {
      method: "POST",
      headers,
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(o.timeoutMs),
      redirect: "error",
    });
  } catch (err) {
    const e = err as Error & { cause?: { message?: string } };
    const why =
      e.name === "TimeoutError" ? `no answer within ${o.timeoutMs} ms` : (e.cause?.message ?? e.message);
    throw new Error(`webhook ${redact(o.url)} for ${event.kind} ${event.id}: ${why}`);
  }
  // the body is not needed; reading it frees the connection
  const text = (await res.text().catch(() => "")).slice(0, 200);
  if (res.status < 200 || res.status > 299)
    throw new Error(
      `webhook ${redact(o.url)} for ${event.kind} ${event.id}: HTTP ${res.status}${text ? ` ${text.trim()}` : ""}`,
    );
  return res.status;
}

/** The URL as logged: no query string (tokens sometimes travel there). */
export function redact(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}${u.search ? "?…" : ""}`;
}
