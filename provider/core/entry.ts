// The stable entry point every serialized provider shim calls. Its exported `dispatchV1` signature
// never changes; new behaviour arrives as new keys in `call`, never as a different shape.
import * as path from "node:path";
import type { z } from "zod";
import { checkInputs } from "./check";
import { InputError } from "./errors";
import { diffFor, fillKnown, normalized, replaceRefusals, typeName } from "./guards";
import { ADOPT_INPUT, ADOPTED_MARK, OPERATIONAL_INPUTS, timeoutsFrom } from "./inputs";
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

/**
 * Splits stored flat props into inputs and outputs, tolerating fields older versions lacked: when
 * the whole no longer parses, each field still gets its default (a missing default must not read
 * as a change, review finding 16).
 */
function splitState(def: AnyDefinition, props: Props): State<AnyObjectSchema, AnyObjectSchema> {
  const inputs = def.inputs.safeParse(pick(props, def.inputs));
  const outputs = def.outputs.partial().safeParse(pick(props, def.outputs));
  return {
    inputs: (inputs.success
      ? normalized(def, inputs.data)
      : fillKnown(def, pick(props, def.inputs))) as z.output<AnyObjectSchema>,
    outputs: (outputs.success ? outputs.data : pick(props, def.outputs)) as z.output<AnyObjectSchema>,
  };
}

function parseInputs(def: AnyDefinition, props: Props): z.output<AnyObjectSchema> {
  const r = checkInputs(def.inputs, pick(strip(props), def.inputs), def.secretInputs);
  if (!r.ok) throw new InputError(def.key, r.failures);
  return normalized(def, r.value);
}

/** Adopted objects are released on delete, whatever `adopt` says now (un-adopting never destroys). */
function isAdopted(def: AnyDefinition, props: Props): boolean {
  return props[ADOPTED_MARK] === true || (ADOPT_INPUT in def.inputs.shape && props[ADOPT_INPUT] === true);
}

function keepMark(props: Props): Props {
  return props[ADOPTED_MARK] === true ? { [ADOPTED_MARK]: true } : {};
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

/** The `timeouts` input first, then the definition's, then the default. */
function timeout(def: AnyDefinition, op: keyof Timeouts, inputs?: Props): number {
  return timeoutsFrom(inputs?.timeouts)[op] ?? def.timeouts?.[op] ?? DEFAULT_TIMEOUTS[op];
}

async function run<T>(
  def: AnyDefinition,
  op: keyof Timeouts,
  config: ConfigReader | undefined,
  fn: (ctx: OpContext) => Promise<T>,
  inputs?: Props,
) {
  const ms = timeout(def, op, inputs);
  // No parent: each operation's deadline is its own (the engine runs operations side by side).
  return withTimeout(`${def.key} ${op}`, ms, (signal) => fn(context(def, config, signal)), undefined);
}

/** Only operational inputs (timeouts, consent) changed: nothing to do on the platform. */
function operationalOnly(def: AnyDefinition, olds: Props, news: Props): boolean {
  const d = diffFor(def, splitState(def, olds), news);
  return d.changed.length > 0 && d.changed.every((f) => OPERATIONAL_INPUTS.includes(f));
}

export async function dispatchV1(call: DispatchCall): Promise<unknown> {
  const def = loadDefinition(call.key, call.module);
  const a = call.args;
  switch (call.method) {
    case "check": {
      const [olds, news] = a as [Props, Props];
      const oldState = olds && Object.keys(strip(olds)).length > 0 ? splitState(def, olds) : undefined;
      const r = checkInputs(def.inputs, strip(news), def.secretInputs);
      if (!r.ok) {
        // Unknown values at preview: still fill every known field's default, so diff compares
        // like with like (review finding 7b).
        const filled = r.onlyUnknowns ? fillKnown(def, strip(news)) : news;
        const refused = r.onlyUnknowns && oldState ? replaceRefusals(def, oldState, filled) : [];
        return { inputs: dropUndefined(filled), failures: [...r.failures, ...refused] };
      }
      const value = normalized(def, r.value);
      const refused = oldState ? replaceRefusals(def, oldState, value) : [];
      const validate = def.validate;
      if (!validate || refused.length) return { inputs: dropUndefined(value), failures: refused };
      const failures = await run(def, "check", call.config, (ctx) => validate(value, ctx, oldState));
      return { inputs: dropUndefined(value), failures };
    }
    case "diff": {
      const [, olds, news] = a as [string, Props, Props];
      const d = diffFor(def, splitState(def, olds), strip(news));
      if (def.dataAtRisk && strip(news).allowDestructiveReplace !== true && d.replaces.length) {
        // Without consent a data-bearing resource is never replaced: check() has refused the
        // change already; should it be bypassed, update() refuses it again (never a delete).
        return { changes: true, replaces: [], deleteBeforeReplace: false };
      }
      return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
    }
    case "create": {
      const [props] = a as [Props];
      const inputs = parseInputs(def, props);
      const r = await run(def, "create", call.config, (ctx) => def.create(inputs, ctx), inputs);
      const adopted = r.adopted ?? (inputs as Props)[ADOPT_INPUT] === true;
      const mark = adopted ? { [ADOPTED_MARK]: true } : {};
      return { id: r.id, outs: dropUndefined({ ...inputs, ...r.outputs, ...mark }) };
    }
    case "read": {
      const [id, props] = a as [string, Props];
      const state = splitState(def, props);
      const live = await run(def, "read", call.config, (ctx) => def.read(id, state, ctx), state.inputs);
      if (!live) return { id: "", props: {} };
      return { id, props: { ...flat(live), ...keepMark(props) }, inputs: dropUndefined(live.inputs) };
    }
    case "update": {
      const [id, olds, news] = a as [string, Props, Props];
      const inputs = parseInputs(def, news);
      const old = splitState(def, olds);
      if (operationalOnly(def, olds, inputs)) {
        return { outs: dropUndefined({ ...inputs, ...old.outputs, ...keepMark(olds) }) };
      }
      const refused = replaceRefusals(def, old, inputs);
      if (refused.length) throw new InputError(def.key, refused);
      const update = def.update;
      if (!update) throw new Error(`${def.key}: has no update; the engine should have replaced it`);
      const outputs = await run(def, "update", call.config, (ctx) => update(id, old, inputs, ctx), inputs);
      return { outs: dropUndefined({ ...inputs, ...outputs, ...keepMark(olds) }) };
    }
    case "delete": {
      const [id, props] = a as [string, Props];
      const state = splitState(def, props);
      if (isAdopted(def, props)) {
        // Taken over, never created here: release it, never destroy it (review finding 1).
        const release = def.release;
        await run(
          def,
          "delete",
          call.config,
          async (ctx) => {
            ctx.progress(`releasing adopted ${typeName(def)} ${id}: it stays as it is on the platform`);
            if (release) await release(id, state, ctx);
          },
          state.inputs,
        );
        return undefined;
      }
      await run(def, "delete", call.config, (ctx) => def.delete(id, state, ctx), state.inputs);
      return undefined;
    }
  }
}
