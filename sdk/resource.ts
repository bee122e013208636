// Typed Pulumi classes derived from a resource's schema: the class's arguments are the schema's
// inputs (each may be a pulumi.Input), its properties are the inputs and outputs as Outputs.
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { AnyObjectSchema, ResourceSchema } from "../provider/core/resource";
import { providerFor } from "../provider/core/shim";

type Scalar = string | number | boolean | undefined | null;
/** A value whose every level may be a pulumi.Input (an Output, a promise or a plain value). */
export type DeepInput<T> = T extends Scalar
  ? T
  : T extends ReadonlyArray<infer U>
    ? ReadonlyArray<pulumi.Input<DeepInput<U>>>
    : { [K in keyof T]: pulumi.Input<DeepInput<T[K]>> };
export type Args<T> = { [K in keyof T]: pulumi.Input<DeepInput<T[K]>> };
export type Outs<T, N extends PropertyKey = never> = {
  readonly [K in keyof T]-?: pulumi.Output<K extends N ? NonNullable<T[K]> : T[K]>;
};

export type ResourceClass<
  I extends AnyObjectSchema,
  O extends AnyObjectSchema,
  N extends string = never,
> = new (
  name: string,
  args: Args<z.input<I>>,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.dynamic.Resource & Outs<z.output<I> & z.output<O>, N>;

/** The Pulumi type token, e.g. `pulumi-nodejs:dynamic/vmha-vsphere:HaSettings`. */
function typeParts(key: string): { module: string; type: string } {
  const [platform, type] = key.split(":");
  if (!platform || !type) throw new Error(`resource key ${key} must read <platform>:<Type>`);
  return { module: `vmha-${platform}`, type };
}

export function resourceClass<I extends AnyObjectSchema, O extends AnyObjectSchema, N extends string = never>(
  schema: ResourceSchema<I, O> & { readonly nameField?: N },
): ResourceClass<I, O, N> {
  const { module, type } = typeParts(schema.key);
  class VmhaResource extends pulumi.dynamic.Resource {
    constructor(name: string, args: Args<z.input<I>>, opts?: pulumi.CustomResourceOptions) {
      // Output-only properties must be present (as undefined) to be registered as outputs.
      const props: Record<string, unknown> = {};
      for (const k of Object.keys(schema.outputs.shape)) props[k] = undefined;
      Object.assign(props, args);
      if (schema.nameField && props[schema.nameField] === undefined) props[schema.nameField] = name;
      for (const k of schema.secretInputs ?? []) {
        if (props[k] !== undefined) props[k] = pulumi.secret(props[k]);
      }
      const secrets = [
        ...(opts?.additionalSecretOutputs ?? []),
        ...(schema.secretOutputs ?? []),
        ...(schema.secretInputs ?? []),
      ];
      super(providerFor(schema), name, props, { ...opts, additionalSecretOutputs: secrets }, module, type);
    }
  }
  Object.defineProperty(VmhaResource, "name", { value: type });
  return VmhaResource as unknown as ResourceClass<I, O, N>;
}
