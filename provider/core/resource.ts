// A resource is defined once: schemas, replacement rules, secrets and platform functions. The
// dynamic provider, the typed SDK class and the docs all come from this one definition.
import type { z } from "zod";
import type { CheckFailure } from "./errors";
import type { RetryPolicy } from "./retry";

// biome-ignore lint/suspicious/noExplicitAny: zod object shapes are heterogeneous by design.
export type AnyObjectSchema = z.ZodObject<any>;

export interface ConfigReader {
  get(key: string): string | undefined;
}

export interface CallOptions {
  timeoutMs?: number;
  retry?: RetryPolicy;
}

/** What every platform call receives. */
export interface OpContext {
  /** The resource's stable key, e.g. `vsphere:HaSettings`, for error messages. */
  readonly resource: string;
  /** The stack's configuration (namespaced keys such as `vmha:vsphereServer`). */
  readonly config: ConfigReader;
  /** Aborted when the operation's deadline passes. */
  readonly signal: AbortSignal;
  /** A progress sentence, shown by the engine while the operation runs. */
  progress(message: string): void;
  /**
   * Runs one platform call with a deadline and bounded retries of transient errors; the last
   * failure reads "<label>: after N attempts: …".
   */
  call<T>(label: string, fn: (signal: AbortSignal) => Promise<T>, opts?: CallOptions): Promise<T>;
}

/** The schema half of a definition: safe to load in a Pulumi program (no platform code). */
export interface ResourceSchema<I extends AnyObjectSchema, O extends AnyObjectSchema> {
  /** Stable dispatch key `<platform>:<Type>`; never rename it, state written earlier refers to it. */
  readonly key: string;
  /** Module path of the full definition, relative to the package root, without extension. */
  readonly module: string;
  readonly description: string;
  readonly inputs: I;
  readonly outputs: O;
  /** Input fields whose change forces a new resource. */
  readonly replaceOn?: ReadonlyArray<keyof z.output<I> & string>;
  /**
   * List inputs whose order means nothing (addresses, networks, class names): compared as sets,
   * so reordering one is no change. Every top-level list input is either here or in
   * `orderedLists` (a property test holds every registered resource to that).
   */
  readonly setLike?: ReadonlyArray<keyof z.output<I> & string>;
  /** List inputs whose order is meaningful (preferred owners, most preferred first). */
  readonly orderedLists?: ReadonlyArray<keyof z.output<I> & string>;
  /**
   * What a replacement destroys, as a phrase ("the cluster and every CSV volume ... on it"). When
   * set, a change to a `replaceOn` field fails in check() (naming the field, this phrase and what
   * to do) unless the inputs say `allowDestructiveReplace: true`; declare that input (use
   * `allowDestructiveReplace` from core/inputs) in the schema.
   */
  readonly dataAtRisk?: string;
  /**
   * Defaults that depend on other fields (a role's name defaults to its VM's name), applied after
   * the schema's own defaults wherever inputs are parsed, so writing the default out is no change.
   */
  normalize?(inputs: z.output<I>): z.output<I>;
  /** Delete the old resource before creating its replacement (names that must stay unique). */
  readonly deleteBeforeReplace?: boolean;
  /**
   * Input fields holding credentials: always made secret by the SDK class (even when passed as
   * plain strings), and never echoed in check failures.
   */
  readonly secretInputs?: ReadonlyArray<keyof z.output<I> & string>;
  /**
   * An input field that defaults to the Pulumi resource's name when the program leaves it unset
   * (for example a VM's name in the cluster). Declare that field optional in the schema.
   */
  readonly nameField?: keyof z.input<I> & string;
  /** Output fields that are always secret (inputs that were secret stay secret on their own). */
  readonly secretOutputs?: ReadonlyArray<keyof z.output<O> & string>;
}

/** The live state of a resource: its inputs as last applied (or read back) and its outputs. */
export interface State<I extends AnyObjectSchema, O extends AnyObjectSchema> {
  inputs: z.output<I>;
  outputs: z.output<O>;
}

export interface Timeouts {
  check: number;
  create: number;
  read: number;
  update: number;
  delete: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  check: 60_000,
  create: 600_000,
  read: 120_000,
  update: 600_000,
  delete: 600_000,
};

export interface ResourceDefinition<I extends AnyObjectSchema, O extends AnyObjectSchema>
  extends ResourceSchema<I, O> {
  readonly timeouts?: Partial<Timeouts>;
  readonly retry?: RetryPolicy;
  /** Checks beyond the schema that need the platform or other state (admission control...). */
  validate?(inputs: z.output<I>, ctx: OpContext, olds?: State<I, O>): Promise<CheckFailure[]>;
  /**
   * `adopted`: whether an existing object was taken over rather than created (default: the
   * `adopt` input). An adopted object is released, never destroyed, by delete (see `release`).
   */
  create(
    inputs: z.output<I>,
    ctx: OpContext,
  ): Promise<{ id: string; outputs: z.output<O>; adopted?: boolean }>;
  /** Live state, or undefined when the object no longer exists. */
  read(id: string, current: State<I, O>, ctx: OpContext): Promise<State<I, O> | undefined>;
  /** Absent: every input change replaces the resource. */
  update?(id: string, olds: State<I, O>, news: z.output<I>, ctx: OpContext): Promise<z.output<O>>;
  delete(id: string, state: State<I, O>, ctx: OpContext): Promise<void>;
  /**
   * Called instead of `delete` for an adopted object (or one whose inputs say `adopt: true`): undo
   * only what vmha itself added, never the object. Absent: nothing is done on the platform.
   */
  release?(id: string, state: State<I, O>, ctx: OpContext): Promise<void>;
  /**
   * Input fields whose difference is not a change (for example a VM's current host after a
   * failover). Return the names to ignore for this pair of states.
   */
  ignoreDifferences?(olds: State<I, O>, news: z.output<I>): ReadonlyArray<string>;
}

/** `N` keeps the literal name field, so the SDK class types it as always set. */
export function defineSchema<I extends AnyObjectSchema, O extends AnyObjectSchema, N extends string = never>(
  s: ResourceSchema<I, O> & { readonly nameField?: N },
): ResourceSchema<I, O> & { readonly nameField?: N } {
  return s;
}

export function defineResource<I extends AnyObjectSchema, O extends AnyObjectSchema>(
  d: ResourceDefinition<I, O>,
): ResourceDefinition<I, O> {
  return d;
}
