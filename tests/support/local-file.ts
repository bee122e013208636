// A test-only resource that manages a local file. It proves the resource framework through the
// real engine without any platform: create, update in place, replace, delete, check failures,
// drift on refresh, and a secret input that must never reach the state file in plaintext.
import * as crypto from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { z } from "zod";
import { defineResource, defineSchema } from "../../provider/core/resource";
import { resourceClass } from "../../sdk/resource";

export const localFileSchema = defineSchema({
  key: "test:LocalFile",
  module: "tests/support/local-file",
  description: "A file on the local disk (test-only).",
  inputs: z.strictObject({
    path: z.string().refine((p) => path.isAbsolute(p), "must be an absolute path"),
    content: z.string(),
    mode: z
      .number()
      .int()
      .min(0o400, "must be at least 0o400 (owner can read)")
      .max(0o777, "must be at most 0o777")
      .default(0o644),
    /** Written into the file's trailer only as a hash, to prove secrets stay secret. */
    token: z.string().min(8, "must be at least 8 characters").optional(),
  }),
  outputs: z.strictObject({
    sha256: z.string(),
    size: z.number(),
  }),
  replaceOn: ["path"],
  secretInputs: ["token"],
});

type Inputs = z.output<typeof localFileSchema.inputs>;

function render(i: Inputs): string {
  const trailer = i.token
    ? `\n# token-sha256 ${crypto.createHash("sha256").update(i.token).digest("hex")}\n`
    : "";
  return i.content + trailer;
}

async function write(i: Inputs) {
  const body = render(i);
  await fs.writeFile(i.path, body, { mode: i.mode });
  await fs.chmod(i.path, i.mode);
  return { sha256: crypto.createHash("sha256").update(body).digest("hex"), size: Buffer.byteLength(body) };
}

export const definition = defineResource({
  ...localFileSchema,
  async create(inputs, ctx) {
    const outputs = await ctx.call(`write ${inputs.path}`, () => write(inputs));
    return { id: inputs.path, outputs };
  },
  async read(id, current, ctx) {
    const body = await ctx.call(`read ${id}`, () => fs.readFile(id, "utf8").catch(() => undefined));
    if (body === undefined) return undefined;
    const st = await fs.stat(id);
    const tokenLine = /\n# token-sha256 [0-9a-f]{64}\n$/;
    return {
      inputs: { ...current.inputs, content: body.replace(tokenLine, ""), mode: st.mode & 0o777 },
      outputs: {
        sha256: crypto.createHash("sha256").update(body).digest("hex"),
        size: Buffer.byteLength(body),
      },
    };
  },
  async update(_id, _olds, news, ctx) {
    return ctx.call(`write ${news.path}`, () => write(news));
  },
  async delete(id, _state, ctx) {
    await ctx.call(`remove ${id}`, () => fs.rm(id, { force: true }));
  },
});

export const LocalFile = resourceClass(localFileSchema);
