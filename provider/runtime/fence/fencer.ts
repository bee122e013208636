// The Fencer of the port: runs the host's fence device (any fence-agents program) and resolves
// true only when `status` confirmed the host off. Secret parameters (spec.secretParams) never come
// from the spec: they are read from a local JSON file, { "<host>": { "<param>": "<value>" } },
// or, for names the file lacks, from the store's secrets/fence/<host> key (written by Pulumi's
// kvm.FenceDevice; protect it with etcd's TLS and RBAC).
import * as fs from "node:fs";
import type { Fencer, FenceDevice as SpecFenceDevice } from "../env";
import { RetryableError } from "../env";
import { FenceError, fenceOff, fenceStatus, type FenceDevice as RunnerFenceDevice } from "./runner";

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
      /** The secrets/fence/<host> document of the store, if any. */
      storeSecrets?: (host: string) => Promise<Record<string, string> | undefined>;
      onResult?: (r: FenceResultRecord) => void;
      onDone?: () => void;
    } = {},
  ) {}

  private async secrets(host: string, names: readonly string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    const file = this.opts.secretsFile;
    let fromFile: Record<string, string> = {};
    if (file) {
      try {
        fromFile =
          (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, string>>)[host] ?? {};
      } catch (err) {
        throw new RetryableError(`host ${host}`, `cannot read fence secrets ${file}: ${String(err)}`);
      }
    }
    const missing = () => names.filter((n) => fromFile[n] === undefined);
    let fromStore: Record<string, string> = {};
    if (missing().length > 0 && this.opts.storeSecrets) {
      try {
        fromStore = (await this.opts.storeSecrets(host)) ?? {};
      } catch (err) {
        throw new RetryableError(`host ${host}`, `cannot read fence secrets from the store: ${String(err)}`);
      }
    }
    const out: Record<string, string> = {};
    for (const n of names) {
      const v = fromFile[n] ?? fromStore[n];
      if (v === undefined) {
        const where = [file ? `the secrets file ${file}` : "", this.opts.storeSecrets ? "the store" : ""]
          .filter(Boolean)
          .join(" nor in ");
        throw new RetryableError(
          `host ${host}`,
          `fence secret ${n} found neither in ${where || "any configured source"}`,
        );
      }
      out[n] = v;
    }
    return out;
  }

  /** The device's parameters with its secrets, and the plug (refused when ambiguous). */
  private async device(
    host: string,
    device: SpecFenceDevice,
    timeoutMs: number,
  ): Promise<{ dev: RunnerFenceDevice; plug: string }> {
    const params = { ...device.params, ...(await this.secrets(host, device.secretParams)) };
    const [p1, p2] = [params["plug"], params["port"]];
    // plug and port are aliases in fence-agents; two different values leave no safe guess
    // (fencing the wrong plug powers off another machine and "confirms" it), so refuse.
    if (p1 !== undefined && p2 !== undefined && p1 !== p2)
      throw new Error(
        `fence device ${device.agent}: params give both plug and port, with different values; give only one`,
      );
    const plug = p1 ?? p2 ?? host;
    delete params["plug"];
    delete params["port"];
    return {
      dev: { name: device.agent, agent: device.agent, params, timeoutMs, secretParams: device.secretParams },
      plug,
    };
  }

  /** `status` only: whether the device reports the host off (a suspect host that lost power). */
  async status(host: string, device: SpecFenceDevice, timeoutMs: number): Promise<"on" | "off" | "unknown"> {
    try {
      const { dev, plug } = await this.device(host, device, timeoutMs);
      return (await fenceStatus(dev, plug)).status;
    } catch (err) {
      throw new RetryableError(`host ${host}`, err instanceof Error ? err.message : String(err));
    }
  }

  async fence(host: string, device: SpecFenceDevice, timeoutMs: number): Promise<boolean> {
    const t0 = performance.now();
    try {
      const { dev, plug } = await this.device(host, device, timeoutMs);
      await fenceOff(dev, plug);
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
