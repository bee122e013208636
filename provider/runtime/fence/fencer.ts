// The Fencer of the port: runs the host's fence device (any fence-agents program) and resolves
// true only when `status` confirmed the host off. Secret parameters (spec.secretParams) are read
// from a local JSON file (never from the spec): { "<host>": { "<param>": "<value>" } }.
import * as fs from "node:fs";
import type { Fencer, FenceDevice as SpecFenceDevice } from "../env";
import { RetryableError } from "../env";
import { FenceError, fenceOff } from "./runner";

export interface FenceResultRecord {
  host: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export class AgentFencer implements Fencer {
  constructor(
    private readonly opts: {
      secretsFile?: string;
      onResult?: (r: FenceResultRecord) => void;
      onDone?: () => void;
    } = {},
  ) {}

  private secrets(host: string, names: readonly string[]): Record<string, string> {
    if (names.length === 0) return {};
    const file = this.opts.secretsFile;
    if (!file)
      throw new RetryableError(
        `host ${host}`,
        `fence device needs secret params ${names.join(", ")} but no secrets file is configured`,
      );
    let all: Record<string, Record<string, string>>;
    try {
      all = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, string>>;
    } catch (err) {
      throw new RetryableError(`host ${host}`, `cannot read fence secrets ${file}: ${String(err)}`);
    }
    const out: Record<string, string> = {};
    for (const n of names) {
      const v = all[host]?.[n];
      if (v === undefined) throw new RetryableError(`host ${host}`, `fence secret ${n} missing in ${file}`);
      out[n] = v;
    }
    return out;
  }

  async fence(host: string, device: SpecFenceDevice, timeoutMs: number): Promise<boolean> {
    const t0 = performance.now();
    try {
      const params = { ...device.params, ...this.secrets(host, device.secretParams) };
      const plug = params["plug"] ?? params["port"] ?? host;
      delete params["plug"];
      await fenceOff({ name: device.agent, agent: device.agent, params, timeoutMs }, plug);
      this.opts.onResult?.({ host, ok: true, ms: performance.now() - t0 });
      return true;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.opts.onResult?.({ host, ok: false, ms: performance.now() - t0, error });
      if (err instanceof FenceError && /status says on/.test(error)) return false;
      throw new RetryableError(`host ${host}`, error);
    } finally {
      const cb = this.opts.onDone;
      if (cb) setImmediate(cb);
    }
  }
}
