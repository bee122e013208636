// Every provider shim serializes with Pulumi's closure serializer, stays small (no schema, client
// or socket captured), and the serialized text works on its own, as the engine's dynamic
// provider process will load it.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { REGISTRY } from "../../../provider/core/registry";
import type { AnyObjectSchema, ResourceSchema } from "../../../provider/core/resource";
import { makeShim, providerFor } from "../../../provider/core/shim";
import { localFileSchema } from "../../support/local-file";

const DIST = path.resolve(__dirname, "..", "..", "..");

const requireFromString = require("require-from-string") as (code: string) => {
  handler(): pulumi.dynamic.ResourceProvider;
};

function schemas(): ResourceSchema<AnyObjectSchema, AnyObjectSchema>[] {
  const fromRegistry = Object.entries(REGISTRY).map(([key, mod]) => {
    const loaded = require(path.join(DIST, mod)) as {
      definition: ResourceSchema<AnyObjectSchema, AnyObjectSchema>;
    };
    assert.equal(loaded.definition.key, key, `${mod} must define ${key}`);
    return loaded.definition;
  });
  return [localFileSchema, ...fromRegistry];
}

describe("provider serialization", () => {
  for (const schema of schemas()) {
    it(`${schema.key}: serializes to a small, self-contained shim`, async () => {
      const provider = providerFor(schema);
      const sf = await pulumi.runtime.serializeFunction(() => provider);
      assert.ok(sf.text.includes(JSON.stringify(schema.key)), "the shim must carry its stable key");
      assert.ok(sf.text.length < 8000, `shim is ${sf.text.length} characters: something heavy was captured`);
      assert.ok(
        !/zod|ZodObject|soap|Socket/i.test(sf.text),
        "the shim must not capture schemas, clients or sockets",
      );
    });
  }

  it("a deserialized shim dispatches through the stable entry point (check with a bad field)", async () => {
    const shim = providerFor(localFileSchema);
    const sf = await pulumi.runtime.serializeFunction(() => shim);
    const provider = requireFromString(sf.text).handler();
    const r = await provider.check!({}, { path: "not/absolute", content: "x" });
    assert.deepEqual(r.failures, [
      { property: "path", reason: 'must be an absolute path (got "not/absolute")' },
    ]);
    const ok = await provider.check!({}, { path: "/tmp/x", content: "x" });
    assert.deepEqual(ok.failures ?? [], []);
    assert.equal(
      (ok.inputs as { mode: number }).mode,
      0o644,
      "check returns inputs with schema defaults applied",
    );
  });

  it("with no vmha package where it runs, a shim says exactly what to install where", async () => {
    const shim = makeShim(
      "vmha-test:LocalFile",
      "nowhere.js",
      "/nonexistent/vmha/dist/provider/core/entry.js",
      {
        version: "1.2.3",
        programDir: "/nonexistent/program",
      },
    );
    const sf = await pulumi.runtime.serializeFunction(() => shim);
    const provider = requireFromString(sf.text).handler();
    const cwd = process.cwd();
    process.chdir("/");
    try {
      await assert.rejects(
        provider.delete!("id", {}),
        (e: Error) =>
          /cannot delete vmha-test:LocalFile resources: the vmha package is not installed where this program runs/.test(
            e.message,
          ) &&
          /looked in: \/, \/nonexistent\/program, \/nonexistent\/vmha\/dist\/provider\/core\/entry\.js/.test(
            e.message,
          ) &&
          /cd \/nonexistent\/program && npm install vmha@\^1\.2\.3/.test(e.message),
      );
    } finally {
      process.chdir(cwd);
    }
  });
});
