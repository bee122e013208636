// Inputs every resource may declare, handled by the core rather than by each platform:
//  - `timeouts`: per-operation deadlines (Pulumi's customTimeouts never reach a dynamic provider);
//  - `allowDestructiveReplace`: the explicit consent a data-bearing resource needs before a change
//    may replace (delete and recreate) it;
//  - `adopt`: an object taken over, never destroyed (released on delete).
// Changing `timeouts` or `allowDestructiveReplace` touches no platform: the core records the new
// value without calling the resource's update().
import { z } from "zod";
import type { Timeouts } from "./resource";

const DURATION = /^(\d+(?:\.\d+)?)(s|m|h)$/;

/** "90s", "45m", "2h" (the form of Pulumi's customTimeouts) -> milliseconds. */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`duration ${JSON.stringify(text)} must read like 90s, 45m or 2h`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "s" | "m" | "h"];
  return Math.round(Number(m[1]) * unit);
}

const duration = z
  .string()
  .regex(DURATION, "must be a duration such as 90s, 45m or 2h")
  .refine((s) => durationMs(s) >= 1000, "must be at least 1s");

/** Per-resource deadlines; an operation's calls and retries stop when its deadline passes. */
export const timeoutsInput = z
  .strictObject({
    create: duration.optional(),
    update: duration.optional(),
    delete: duration.optional(),
    read: duration.optional(),
  })
  .optional();

export type TimeoutsInput = z.output<typeof timeoutsInput>;

/** The `timeouts` input as milliseconds per operation (only the ones given). */
export function timeoutsFrom(v: unknown): Partial<Timeouts> {
  const parsed = timeoutsInput.safeParse(v);
  if (!parsed.success || !parsed.data) return {};
  const out: Partial<Timeouts> = {};
  for (const [k, t] of Object.entries(parsed.data)) if (t) out[k as keyof Timeouts] = durationMs(t);
  return out;
}

/** Consent to a change that replaces a data-bearing resource (its data is deleted). */
export const allowDestructiveReplace = z.boolean().default(false);

/** Inputs whose change never touches the platform (recorded without calling update()). */
export const OPERATIONAL_INPUTS: ReadonlyArray<string> = ["timeouts", "allowDestructiveReplace"];

/** The input naming an object to take over instead of create. */
export const ADOPT_INPUT = "adopt";

/** Kept in the state of an object that was adopted, through updates and refreshes. */
export const ADOPTED_MARK = "vmhaAdopted";
