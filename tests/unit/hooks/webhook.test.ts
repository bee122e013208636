// The webhook hook through Hooks (hooks/dispatch.ts) against a real HTTP server on 127.0.0.1:
// the JSON event POSTed with the bearer token from a 0600 file, retries on 500, gives up after
// the configured attempts (counted), and a token file others can read is refused.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { parseHookConfig, readTokenFile } from "../../../provider/runtime/hooks/config";
import { Hooks } from "../../../provider/runtime/hooks/dispatch";
import { drillEvent, type HookEvent } from "../../../provider/runtime/hooks/events";
import { HookMetrics } from "../../../provider/runtime/metrics/metrics";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-hook-web-"));
interface Hit {
  auth: string | undefined;
  id: string | undefined;
  body: HookEvent;
}
const hits: Hit[] = [];
/** Status codes the server answers with, in order; 200 once they run out. */
let answers: number[] = [];
let server: http.Server;
let url = "";

before(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      hits.push({
        auth: req.headers.authorization,
        id: req.headers["x-vmha-event-id"] as string | undefined,
        body: JSON.parse(body) as HookEvent,
      });
      res.writeHead(answers.shift() ?? 200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/vmha?key=s3cret`;
});
after(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function ev(n: number): HookEvent {
  return drillEvent({
    cluster: "prod",
    sentBy: "ci",
    host: `h${n}`,
    startedAt: new Date(Date.UTC(2026, 11, 2, 10, n)),
    at: "2026-12-02T10:00:00.000Z",
    passed: true,
    limitSeconds: 30,
  });
}

async function count(m: HookMetrics, what: "sent" | "failed" | "attemptsFailed"): Promise<number> {
  const v = (await m[what].get()).values;
  return v.reduce((a, s) => a + s.value, 0);
}

describe("webhook hook", () => {
  it("POSTs the event with the bearer token; retries on 500; gives up after N attempts", async () => {
    const tokenFile = path.join(dir, "token");
    fs.writeFileSync(tokenFile, "tok-123\n", { mode: 0o600 });
    const metrics = new HookMetrics(new Registry());
    const lines: string[] = [];
    const hooks = new Hooks(
      parseHookConfig({ url, tokenFile, attempts: 3, backoffMs: 5, maxBackoffMs: 20, timeoutMs: 2000 }),
      (level, m) => lines.push(`${level} ${m}`),
      metrics,
    );
    hits.length = 0;
    answers = [500, 500]; // ev(1): two failures, then 200
    hooks.emit(ev(1));
    hooks.emit(ev(1)); // the same id again: not queued twice
    assert.equal(await hooks.drain(5000), true);
    assert.equal(hits.length, 3);
    assert.equal(hits[2]!.auth, "Bearer tok-123");
    assert.equal(hits[2]!.id, ev(1).id);
    assert.deepEqual(hits[2]!.body, ev(1));
    assert.equal(await count(metrics, "sent"), 1);
    assert.equal(await count(metrics, "attemptsFailed"), 2);

    hits.length = 0;
    answers = [500, 503, 500, 500];
    hooks.emit(ev(2));
    assert.equal(await hooks.drain(5000), true);
    assert.equal(hits.length, 3, "3 attempts, then given up");
    assert.equal(await count(metrics, "failed"), 1);
    const last = lines.at(-1)!;
    assert.match(
      last,
      /^error webhook http:\/\/127\.0\.0\.1:\d+\/vmha\?… for drill .*: HTTP 500 ok \(attempt 3, giving up/,
    );
    assert.doesNotMatch(lines.join("\n"), /tok-123|s3cret/, "neither token nor query string is logged");
    hooks.close();
  });

  it("a server that does not answer is a timeout, retried", async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const lines: string[] = [];
    const hooks = new Hooks(
      parseHookConfig({
        url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`,
        attempts: 2,
        backoffMs: 1,
        timeoutMs: 100,
      }),
      (level, m) => lines.push(`${level} ${m}`),
      undefined,
    );
    hooks.emit(ev(3));
    assert.equal(await hooks.drain(3000), true);
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /no answer within 100 ms \(attempt 2, giving up/);
    silent.closeAllConnections();
    silent.close();
  });

  it("the token file must not be readable by group or others, nor empty; the URL carries no password", () => {
    const f = path.join(dir, "loose");
    fs.writeFileSync(f, "tok\n", { mode: 0o644 });
    fs.chmodSync(f, 0o644);
    assert.throws(() => readTokenFile(f), /mode 0644 lets group or others read it; chmod 600/);
    fs.chmodSync(f, 0o400);
    assert.equal(readTokenFile(f), "tok");
    const empty = path.join(dir, "empty");
    fs.writeFileSync(empty, "\n", { mode: 0o600 });
    assert.throws(() => readTokenFile(empty), /empty/);
    assert.throws(() => parseHookConfig({ url: "http://u:p@example.com/" }), /user:password/);
    assert.throws(() => parseHookConfig({ url: "ftp://example.com/" }), /http/);
    assert.throws(() => parseHookConfig({ exec: "hook.sh" }), /absolute path/);
    assert.throws(() => parseHookConfig({ tokenFile: f }), /needs --hook-url/);
    assert.equal(parseHookConfig({}).queue, 256);
  });
});
