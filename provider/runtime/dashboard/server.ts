// `vmha dashboard`'s HTTP server: one read-only page, its script and style, the model as JSON, and
// a Server-Sent Events stream of the model. However many browsers are open, ONE reader reads the
// store: on a watch of the cluster's keys and event log (a change is shown at once) and every
// `refreshMs` (1 s) while anyone is connected (lease expiry and clocks need no key change to matter).
// A stream gets a model only when it changed. No write path exists here.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { StatusEvent } from "../cli/status";
import type { StoreView } from "../env";
import { type DashboardModel, dashboardModel } from "./model";
import { PAGE_CSS, PAGE_JS, pageHtml } from "./page";

/** Where the dashboard reads from (etcd in production: see source.ts). */
export interface DashboardSource {
  read(): Promise<StoreView>;
  /** The last n events, oldest first. */
  lastEvents(n: number): Promise<StatusEvent[]>;
  /** Calls onChange on any change of the cluster's keys or events; resolves to a cancel function. */
  watch?(onChange: () => void): Promise<() => Promise<void>>;
}

export interface DashboardOptions {
  source: DashboardSource;
  cluster: string;
  /** Address to bind; loopback unless allowRemote. */
  host: string;
  port: number;
  allowRemote?: boolean;
  /** Timeline length. */
  events?: number;
  refreshMs?: number;
  log?: (line: string) => void;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Loopback addresses: the only ones served without --allow-remote. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || h === "::ffff:127.0.0.1";
}

/** Parses --listen (host:port, [v6]:port or a port) and refuses a non-loopback address without allowRemote. */
export function parseListen(listen: string, allowRemote: boolean): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen) ?? /^()()(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen "${listen}": expected host:port, e.g. 127.0.0.1:8080`);
  const host = m[1] || m[2] || "127.0.0.1";
  const port = Number(m[3]);
  if (!(port >= 0 && port < 65536)) throw new Error(`--listen "${listen}": port ${m[3]} out of range`);
  if (!allowRemote && !isLoopback(host))
    throw new Error(
      `refusing to serve the dashboard on ${host}: it has no authentication and shows the whole cluster; ` +
        "bind it to 127.0.0.1 (and reach it through an SSH tunnel) or pass --allow-remote",
    );
  return { host, port };
}

const HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  // only our own script and style; the model is inert JSON in the page
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
} as const;

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  if (!o.allowRemote && !isLoopback(o.host)) parseListen(`${o.host}:${o.port}`, false); // throws
  const n = o.events ?? 50;
  const refreshMs = o.refreshMs ?? 1000;
  const log = o.log ?? (() => {});
  const clients = new Set<http.ServerResponse>();
  let last: DashboardModel | undefined;
  let lastJson = "";
  let reading: Promise<DashboardModel> | undefined;
  let again = false;

  const readOnce = async (): Promise<DashboardModel> => {
    try {
      const [view, events] = await Promise.all([o.source.read(), o.source.lastEvents(n)]);
      last = dashboardModel(o.cluster, view, events);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const base: DashboardModel = last ?? {
        cluster: o.cluster,
        revision: 0,
        primary: undefined,
        hosts: [],
        resources: [],
        failures: [],
        timeline: [],
      };
      last = { ...base, storeError: message };
    }
    return last;
  };

  /** One read at a time; a change seen during a read asks for one more read after it. */
  const refresh = (): Promise<DashboardModel> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = readOnce().then((m) => {
      broadcast(m);
      reading = undefined;
      if (again) {
        again = false;
        void refresh();
      }
      return m;
    });
    return reading;
  };

  const broadcast = (m: DashboardModel) => {
    const json = JSON.stringify(m);
    if (json === lastJson) return;
    lastJson = json;
    for (const res of clients) res.write(`event: model\ndata: ${json}\n\n`);
  };

  // nobody watching, nothing read: an idle dashboard costs etcd nothing
  const timer = setInterval(() => {
    if (clients.size) void refresh();
  }, refreshMs);
  // a comment keeps proxies and idle timeouts from closing a quiet stream
  const ping = setInterval(() => {
    for (const res of clients) res.write(": ping\n\n");
  }, 15000);

  let cancelWatch: (() => Promise<void>) | undefined;
  o.source
    .watch?.(() => {
      if (clients.size) void refresh();
    })
    .then((c) => {
      cancelWatch = c;
    })
    .catch((err: unknown) =>
      log(`dashboard: watch failed, reading every ${refreshMs} ms only: ${String(err)}`),
    );

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      log(`dashboard: ${req.method} ${req.url}: ${String(err)}`);
      if (!res.headersSent) res.writeHead(500, HEADERS).end("internal error\n");
      else res.end();
    });
  });

  const hostAllowed = (req: http.IncomingMessage): boolean => {
    if (o.allowRemote) return true;
    // DNS rebinding: a page on another site that resolves its name to 127.0.0.1 sends its own Host
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    return isLoopback(host);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...HEADERS, allow: "GET, HEAD" }).end("read-only\n");
      return;
    }
    if (!hostAllowed(req)) {
      res.writeHead(421, HEADERS).end("unexpected Host header\n");
      return;
    }
    const path = (req.url ?? "/").split("?")[0];
    switch (path) {
      case "/": {
        const m = await refresh();
        send(res, "text/html; charset=utf-8", pageHtml(o.cluster, m));
        return;
      }
      case "/app.js":
        send(res, "text/javascript; charset=utf-8", PAGE_JS);
        return;
      case "/app.css":
        send(res, "text/css; charset=utf-8", PAGE_CSS);
        return;
      case "/model.json":
        send(res, "application/json", `${JSON.stringify(await refresh())}\n`);
        return;
      case "/events": {
        res.writeHead(200, {
          ...HEADERS,
          "content-type": "text/event-stream; charset=utf-8",
          connection: "keep-alive",
        });
        res.write("retry: 2000\n\n");
        clients.add(res);
        req.on("close", () => clients.delete(res));
        const m = last ?? (await refresh());
        res.write(`event: model\ndata: ${JSON.stringify(m)}\n\n`);
        return;
      }
      default:
        res.writeHead(404, { ...HEADERS, "content-type": "text/plain" }).end("not found\n");
    }
  }

  function send(res: http.ServerResponse, type: string, body: string): void {
    res.writeHead(200, { ...HEADERS, "content-type": type, "content-length": Buffer.byteLength(body) });
    res.end(res.req.method === "HEAD" ? undefined : body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    async close() {
      clearInterval(timer);
      clearInterval(ping);
      for (const res of clients) res.end();
      clients.clear();
      await cancelWatch?.().catch(() => {});
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
