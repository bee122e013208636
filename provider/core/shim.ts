// The provider object Pulumi serializes into every resource's state. It stays a thin shim: it
// captures only strings (the resource key, the definition's module, where the entry point was)
// and `require()`s the package's stable entry point inside each method, so state written by one
// version of vmha is refreshed and deleted by whichever version is installed later.
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { DispatchCall, Method } from "./entry";
import type { AnyObjectSchema, ConfigReader, ResourceSchema } from "./resource";

type Dispatch = (call: DispatchCall) => Promise<unknown>;

const cache = new Map<string, pulumi.dynamic.ResourceProvider>();

/** One shim per resource type, so Pulumi serializes each type's provider once per program. */
export function providerFor(
  schema: ResourceSchema<AnyObjectSchema, AnyObjectSchema>,
): pulumi.dynamic.ResourceProvider {
  const cached = cache.get(schema.key);
  if (cached) return cached;
  const provider = makeShim(schema.key, schema.module, path.join(__dirname, "entry.js"));
  cache.set(schema.key, provider);
  return provider;
}

export function makeShim(
  key: string,
  module: string,
  entryAtSerialization: string,
): pulumi.dynamic.ResourceProvider {
  // A holder object, not a `let`: the closure serializer copies captured variables per function,
  // but serializes a captured object once, so configure() and dispatch() share it.
  const holder: { config?: ConfigReader } = {};
  // Resolution order: the vmha package installed for the program (found from the provider
  // process's working directory), then the copy the state was written with.
  const dispatch = (method: Method, args: unknown[]): Promise<unknown> => {
    let entry: string;
    try {
      entry = require.resolve("vmha/dist/provider/core/entry.js", { paths: [process.cwd()] });
    } catch {
      entry = entryAtSerialization;
    }
    const mod = require(entry) as { dispatchV1: Dispatch };
    return mod.dispatchV1({ key, module, method, args, config: holder.config });
  };
  return {
    async configure(req: pulumi.dynamic.ConfigureRequest) {
      holder.config = req.config;
    },
    check: (olds, news) => dispatch("check", [olds, news]) as Promise<pulumi.dynamic.CheckResult>,
    diff: (id, olds, news) => dispatch("diff", [id, olds, news]) as Promise<pulumi.dynamic.DiffResult>,
    create: (inputs) => dispatch("create", [inputs]) as Promise<pulumi.dynamic.CreateResult>,
    read: (id, props) => dispatch("read", [id, props]) as Promise<pulumi.dynamic.ReadResult>,
    update: (id, olds, news) => dispatch("update", [id, olds, news]) as Promise<pulumi.dynamic.UpdateResult>,
    delete: (id, props) => dispatch("delete", [id, props]) as Promise<void>,
  };
}
