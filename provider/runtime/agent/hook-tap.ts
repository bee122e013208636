// Where the agent's hook events come from: a tap on the Env the driver loop uses, so neither the
// core nor the loop changes. The store tap remembers the manager state each read or commit left
// and, after every successful CAS commit, hands the (replaced, committed) pair to the pure
// derivation (hooks/events.ts); the log tap turns the core's isolation line into the isolation
// event. Everything here returns at once: Hooks.emit() only queues.
import { type ClusterSpec, tryParseSpec } from "../core/spec";
import type { LeaseStatus, Logger, LogRecord, ManagerState, Store } from "../env";
import type { Hooks } from "../hooks/dispatch";
import { type DeriveState, deriveCommitEvents, emptyDeriveState, isolationEvent } from "../hooks/events";

export interface HookTapOptions {
  cluster: string;
  host: string;
  hooks: Hooks;
  /** This host's lease: the isolation episode is the lease it lost. */
  lease: () => LeaseStatus;
  /** Wall clock for the events' `at` (injected by tests). */
  wallNow?: () => Date;
  /** A derivation that throws is a bug: said, never allowed to break the loop. */
  onError?: (message: string) => void;
}

export class HookTap {
  private last: { revision: number; state: ManagerState | undefined } | undefined;
  private spec: { revision: number; spec: ClusterSpec | undefined } | undefined;
  private derive: DeriveState = emptyDeriveState();
  /** Revision of this agent's last successful commit. */
  private committed: number | undefined;

  constructor(private readonly o: HookTapOptions) {}

  /** `store`, with every successful commit turned into hook events. */
  observeStore(store: Store): Store {
    return {
      campaign: (eligible) => store.campaign(eligible),
      read: async () => {
        const v = await store.read();
        this.last = { revision: v.managerRevision, state: v.manager };
        if (this.spec?.revision !== v.specRevision) {
          const r = tryParseSpec(v.spec);
          this.spec = { revision: v.specRevision, spec: r.ok ? r.spec : undefined };
        }
        return v;
      },
      commitManager: async (expected, state) => {
        const rev = await store.commitManager(expected, state);
        // the state this commit replaced is the one the loop read or committed at `expected`
        const prev = this.last?.revision === expected ? this.last.state : undefined;
        const known = expected === 0 || this.last?.revision === expected;
        // Another primary committed since this agent's last commit: what it remembered of
        // failovers in flight may be stale (the other one may have finished and sent them).
        if (expected !== this.committed) this.derive = emptyDeriveState();
        this.last = { revision: rev, state };
        this.committed = rev;
        if (known) this.onCommit(prev, state, rev);
        return rev;
      },
      report: (r) => store.report(r),
    };
  }

  /** `inner`, with the core's isolation line turned into the isolation event. */
  observeLog(inner: Logger): Logger {
    return {
      log: (r: LogRecord) => {
        inner.log(r);
        if (r.subject !== "isolation" || !this.o.hooks.enabled) return;
        // The isolation line is logged from inside the decision loop: a hook bug must not
        // throw into it.
        try {
          const s = this.o.lease();
          const e = isolationEvent(r, {
            cluster: this.o.cluster,
            host: this.o.host,
            at: this.now(),
            episode: `${s.id || "none"}.${s.generation}`,
          });
          if (e) this.o.hooks.emit(e);
        } catch (err) {
          this.o.onError?.(`isolation hook event not derived: ${String(err)}`);
        }
      },
    };
  }

  private onCommit(prev: ManagerState | undefined, next: ManagerState, revision: number): void {
    const spec = this.spec?.spec;
    if (!spec || !this.o.hooks.enabled) return;
    try {
      const d = deriveCommitEvents(this.derive, {
        cluster: this.o.cluster,
        sentBy: this.o.host,
        at: this.now(),
        spec,
        prev,
        next,
        revision,
      });
      this.derive = d.state;
      for (const e of d.events) this.o.hooks.emit(e);
    } catch (err) {
      this.o.onError?.(`hook events of commit ${revision} not derived: ${String(err)}`);
    }
  }

  private now(): string {
    return (this.o.wallNow?.() ?? new Date()).toISOString();
  }
}
