// Hook configuration: one zod schema for the agent's flags/JSON file and `vmha drill`'s flags.
import * as fs from "node:fs";
import { z } from "zod";

export const HookConfigSchema = z.object({
  exec: z
    .string()
    .refine((p) => p.startsWith("/"), "must be an absolute path (it runs without a shell or PATH lookup)")
    .optional()
    .describe("Executable run once per event: JSON on stdin, VMHA_EVENT_* in its environment"),
  url: z
    .string()
    .url()
    .refine((u) => /^https?:$/.test(new URL(u).protocol), "must be http:// or https://")
    // credentials in the URL would show in logs and `ps`: the token file is the place for them
    .refine((u) => new URL(u).username === "" && new URL(u).password === "", "must not carry user:password@")
    .optional()
    .describe("Webhook: the JSON event is POSTed here"),
  tokenFile: z
    .string()
    .optional()
    .describe("File holding a bearer token for the webhook (mode 0600 or 0400, not group/world readable)"),
  queue: z
    .number()
    .int()
    .min(1)
    .max(100000)
    .default(256)
    .describe("Events waiting per hook; the oldest is dropped"),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(5000)
    .describe("Per attempt: the executable is killed, the POST aborted"),
  attempts: z.number().int().min(1).max(100).default(5).describe("Attempts per event before it is given up"),
  backoffMs: z
    .number()
    .int()
    .nonnegative()
    .default(500)
    .describe("Wait before the 2nd attempt; doubles, capped"),
  maxBackoffMs: z.number().int().nonnegative().default(30000),
});

export type HookConfig = z.output<typeof HookConfigSchema>;
export type HookConfigInput = z.input<typeof HookConfigSchema>;

export function parseHookConfig(input: HookConfigInput): HookConfig {
  const r = HookConfigSchema.safeParse(input);
  if (!r.success)
    throw new Error(
      `hook configuration: ${r.error.issues.map((i) => `hook ${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  if (r.data.tokenFile && !r.data.url)
    throw new Error("hook configuration: --hook-token-file needs --hook-url");
  return r.data;
}

/**
 * Reads the webhook's bearer token, refusing a file others can read (the token would be as
 * exposed as the file) and an empty one.
 */
export function readTokenFile(file: string): string {
  const st = fs.statSync(file);
  if (!st.isFile()) throw new Error(`hook token file ${file}: not a regular file`);
  if ((st.mode & 0o077) !== 0)
    throw new Error(
      `hook token file ${file}: mode ${(st.mode & 0o777).toString(8).padStart(4, "0")} lets group or others read it; chmod 600 it`,
    );
  const token = fs.readFileSync(file, "utf8").trim();
  if (!token) throw new Error(`hook token file ${file}: empty`);
  if (/[\r\n]/.test(token)) throw new Error(`hook token file ${file}: more than one line`);
  return token;
}
