// Every provider shim serializes with Pulumi's closure serializer, stays small (no schema, client
// or socket captured), and the serialized text works on its own, as the engine's dynamic
// provider process will load it.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { REGISTRY } from "../../../provider/core/registry";
import type { AnyObjectSchema, ResourceSchema } from "../../../provider/core/resource";
import { providerFor } from "../../../provider/core/shim";
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
});
