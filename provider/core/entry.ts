// The stable entry point every serialized provider shim calls. Its exported `dispatchV1` signature
// never changes; new behaviour arrives as new keys in `call`, never as a different shape.
import * as path from "node:path";
import type { z } from "zod";
import { checkInputs } from "./check";
import { computeDiff } from "./diff";
import { InputError } from "./errors";
import { REGISTRY } from "./registry";
import type {
  AnyObjectSchema,
  ConfigReader,
  OpContext,
  ResourceDefinition,
  State,
  Timeouts,
} from "./resource";
import { DEFAULT_TIMEOUTS } from "./resource";
import { DEFAULT_RETRY, withRetries, withTimeout } from "./retry";

export type Method = "check" | "diff" | "create" | "read" | "update" | "delete";

export interface DispatchCall {
  key: string;
  module: string;
  method: Method;
  args: unknown[];
  config?: ConfigReader;
}

type Props = Record<string, unknown>;
type AnyDefinition = ResourceDefinition<AnyObjectSchema, AnyObjectSchema>;

const PACKAGE_DIST = path.resolve(__dirname, "..", "..");
const PROVIDER_KEY = "__provider";

export function loadDefinition(key: string, module: string): AnyDefinition {
  const mod = REGISTRY[key] ?? module;
  const loaded = require(path.join(PACKAGE_DIST, mod)) as { definition?: AnyDefinition };
  if (!loaded.definition || loaded.definition.key !== key) {
    throw new Error(
      `vmha: module ${mod} does not define resource ${key}; is the installed vmha older than the state?`,
    );
  }
  return loaded.definition;
}

function strip(props: Props): Props {
  const { [PROVIDER_KEY]: _, ...rest } = props;
  return rest;
}

function pick(props: Props, schema: AnyObjectSchema): Props {
  const out: Props = {};
  for (const k of Object.keys(schema.shape)) if (props[k] !== undefined) out[k] = props[k];
  return out;
}

/** Splits stored flat props into inputs and outputs, tolerating fields older versions lacked. */
function splitState(def: AnyDefinition, props: Props): State<AnyObjectSchema, AnyObjectSchema> {
  const inputs = def.inputs.safeParse(pick(props, def.inputs));
  const outputs = def.outputs.partial().safeParse(pick(props, def.outputs));
  return {
    inputs: (inputs.success ? inputs.data : pick(props, def.inputs)) as z.output<AnyObjectSchema>,
    outputs: (outputs.success ? outputs.data : pick(props, def.outputs)) as z.output<AnyObjectSchema>,
  };
}

function parseInputs(def: AnyDefinition, props: Props): z.output<AnyObjectSchema> {
  const r = checkInputs(def.inputs, pick(strip(props), def.inputs), def.secretInputs);
  if (!r.ok) throw new InputError(def.key, r.failures);
  return r.value;
}

/**
 * Removes undefined values at every level: the engine's protobuf Struct cannot carry them
 * ("Unexpected struct type"), and an absent field means the same.
 */
export function dropUndefined<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => dropUndefined(x)) as T;
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = dropUndefined(x);
    return out as T;
  }
  return v;
}

function flat(state: State<AnyObjectSchema, AnyObjectSchema>): Props {
  return dropUndefined({ ...state.inputs, ...state.outputs });
}

function context(def: AnyDefinition, config: ConfigReader | undefined, signal: AbortSignal): OpContext {
  return {
    resource: def.key,
    config: config ?? { get: () => undefined },
    signal,
    progress: (message) => process.stderr.write(`${def.key}: ${message}\n`),
    call: (label, fn, opts) =>
      withRetries(
        label,
        () => withTimeout(label, opts?.timeoutMs ?? 60_000, fn),
        opts?.retry ?? def.retry ?? DEFAULT_RETRY,
      ),
  };
}

function timeout(def: AnyDefinition, op: keyof Timeouts): number {
  return def.timeouts?.[op] ?? DEFAULT_TIMEOUTS[op];
}

async function run<T>(
  def: AnyDefinition,
  op: keyof Timeouts,
  config: ConfigReader | undefined,
  fn: (ctx: OpContext) => Promise<T>,
) {
  return withTimeout(`${def.key} ${op}`, timeout(def, op), (signal) => fn(context(def, config, signal)));
}

export async function dispatchV1(call: DispatchCall): Promise<unknown> {
  const def = loadDefinition(call.key, call.module);
  const a = call.args;
  switch (call.method) {
    case "check": {
      const [olds, news] = a as [Props, Props];
      const r = checkInputs(def.inputs, strip(news), def.secretInputs);
      if (!r.ok) return { inputs: news, failures: r.failures };
      const validate = def.validate;
      if (!validate) return { inputs: dropUndefined(r.value) };
      const oldState = olds && Object.keys(strip(olds)).length > 0 ? splitState(def, olds) : undefined;
      const failures = await run(def, "check", call.config, (ctx) => validate(r.value, ctx, oldState));
      return { inputs: dropUndefined(r.value), failures };
    }
    case "diff": {
      const [, olds, news] = a as [string, Props, Props];
      const state = splitState(def, olds);
      const d = computeDiff({
        fields: Object.keys(def.inputs.shape),
        olds: state.inputs,
        news,
        replaceOn: def.replaceOn ?? (def.update ? [] : Object.keys(def.inputs.shape)),
        ignore: def.ignoreDifferences?.(state, news) ?? [],
        deleteBeforeReplace: def.deleteBeforeReplace ?? false,
      });
      return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
    }
    case "create": {
      const [props] = a as [Props];
      const inputs = parseInputs(def, props);
      const r = await run(def, "create", call.config, (ctx) => def.create(inputs, ctx));
      return { id: r.id, outs: dropUndefined({ ...inputs, ...r.outputs }) };
    }
    case "read": {
      const [id, props] = a as [string, Props];
      const live = await run(def, "read", call.config, (ctx) => def.read(id, splitState(def, props), ctx));
      if (!live) return { id: "", props: {} };
      return { id, props: flat(live), inputs: dropUndefined(live.inputs) };
    }
    case "update": {
      const [id, olds, news] = a as [string, Props, Props];
      const update = def.update;
      if (!update) throw new Error(`${def.key}: has no update; the engine should have replaced it`);
      const inputs = parseInputs(def, news);
      const outputs = await run(def, "update", call.config, (ctx) =>
        update(id, splitState(def, olds), inputs, ctx),
      );
      return { outs: dropUndefined({ ...inputs, ...outputs }) };
    }
    case "delete": {
      const [id, props] = a as [string, Props];
      await run(def, "delete", call.config, (ctx) => def.delete(id, splitState(def, props), ctx));
      return undefined;
    }
  }
}
