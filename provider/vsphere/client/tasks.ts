// Waiting for vSphere tasks: poll the task's info with backoff until it succeeds or fails.
import { TerminalError } from "../../core/errors";
import { taskFault } from "./faults";
import { retrieve } from "./props";
import type { VimClient } from "./session";
import { child, type MoRef, moref, str } from "./xml";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(new TerminalError("aborted while waiting for a vSphere task"));
      },
      { once: true },
    );
  });

export interface TaskOptions {
  /** Called with a progress sentence while the task runs. */
  progress?: (msg: string) => void;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** Waits for a task; returns its result node. A failed task throws with its localized message. */
export async function waitTask(
  c: VimClient,
  task: MoRef,
  label: string,
  signal?: AbortSignal,
  opts: TaskOptions = {},
): Promise<unknown> {
  let delay = opts.firstDelayMs ?? 25;
  for (;;) {
    const { info } = await retrieve(c, task, ["info"], signal);
    const state = str(info, "state");
    if (state === "success") return child(info, "result");
    if (state === "error") {
      throw taskFault(child(info, "error"), label, {
        server: c.settings.server,
        user: c.settings.user,
        method: label,
      });
    }
    const pct = str(info, "progress");
    opts.progress?.(`${label}: ${state ?? "queued"}${pct ? ` (${pct}%)` : ""}`);
    await sleep(delay, signal);
    delay = Math.min(delay * 2, opts.maxDelayMs ?? 2000);
  }
}

/** Invokes a `*_Task` method and waits for it. */
export async function runTask(
  c: VimClient,
  method: string,
  thisRef: MoRef,
  body: Parameters<VimClient["invoke"]>[2],
  label: string,
  signal?: AbortSignal,
  opts?: TaskOptions,
): Promise<unknown> {
  const task = moref(await c.invoke(method, thisRef, body, signal));
  if (!task) throw new TerminalError(`${label}: ${method} returned no task`);
  try {
    return await waitTask(c, task, label, signal, opts);
  } finally {
    c.changed();
  }
}
