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
  const provider = makeShim(schema.key, schema.module, path.join(__dirname, "entry.js"), {
    version: packageVersion(),
    programDir: process.cwd(),
  });
  cache.set(schema.key, provider);
  return provider;
}

/** The version of the vmha package this code belongs to ("" when it cannot be read). */
function packageVersion(): string {
  try {
    return (
      (require(path.join(__dirname, "..", "..", "..", "package.json")) as { version?: string }).version ?? ""
    );
  } catch {
    return "";
  }
}

/** Who wrote a resource's state: the vmha version and the program's directory. */
export interface WrittenBy {
  version: string;
  programDir: string;
}

export function makeShim(
  key: string,
  module: string,
  entryAtSerialization: string,
  writtenBy: WrittenBy = { version: "", programDir: "" },
): pulumi.dynamic.ResourceProvider {
  // A holder object, not a `let`: the closure serializer copies captured variables per function,
  // but serializes a captured object once, so configure() and dispatch() share it.
  const holder: { config?: ConfigReader } = {};
  // Resolution order: the vmha package installed for the program (found from the provider
  // process's working directory), then the copy the state was written with.
  const dispatch = async (method: Method, args: unknown[]): Promise<unknown> => {
    const tried: string[] = [];
    let entry: string | undefined;
    for (const dir of [process.cwd(), writtenBy.programDir]) {
      if (entry || !dir || tried.includes(dir)) continue;
      try {
        entry = require.resolve("vmha/dist/provider/core/entry.js", { paths: [dir] });
      } catch {
        tried.push(dir);
      }
    }
    if (!entry) {
      try {
        entry = require.resolve(entryAtSerialization);
      } catch {
        tried.push(entryAtSerialization);
      }
    }
    if (!entry) {
      // Refresh and destroy run the code stored in the state: say exactly what to install where.
      const at = writtenBy.programDir || process.cwd();
      const v = writtenBy.version;
      throw new Error(
        `vmha: cannot ${method} ${key} resources: the vmha package is not installed where this program runs ` +
          `(looked in: ${tried.join(", ")}). Install the version that wrote this state${v ? ` (vmha@${v})` : ""} ` +
          `or newer in the program's directory: cd ${at} && npm install vmha${v ? `@^${v}` : ""}`,
      );
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
