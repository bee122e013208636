// A vim25 client: logs in once (session cookie), sends calls, turns faults into errors. One client
// per server+user+credentials per provider process, so a `preview --refresh` of 200 resources logs
// in once, not 200 times. The password is sent only in the Login call and never in any message.
import * as crypto from "node:crypto";
import type * as https from "node:https";
import { RetryableError, TerminalError } from "../../core/errors";
import { NotAuthenticatedError, soapFault } from "./faults";
import type { ConnectionSettings } from "./settings";
import { agentFor, post } from "./transport";
import { child, envelope, type MoRef, moref, type Node, parseXml, type XmlObject, XmlRefused } from "./xml";

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  sessionManager: MoRef;
  searchIndex: MoRef;
  /** Absent on an ESXi host's own endpoint; custom attributes need a vCenter. */
  customFieldsManager?: MoRef;
  apiVersion: string;
}

const SERVICE_INSTANCE: MoRef = { type: "ServiceInstance", value: "ServiceInstance" };

/** Methods that change nothing; any other call (or a finished task) starts a new read epoch. */
const READ_ONLY = new Set([
  "RetrievePropertiesEx",
  "RetrieveProperties",
  "FindByInventoryPath",
  "FindChild",
  "FindByDnsName",
]);

export class VimClient {
  private cookie: string | undefined;
  private content: ServiceContent | undefined;
  private login: Promise<ServiceContent> | undefined;
  /** Calls sent, for tests and the benchmark (logins included). */
  calls = 0;
  logins = 0;
  logouts = 0;
  /**
   * Bumped when a change completes, so a read that starts afterwards never shares an answer
   * fetched before the change (see props.retrieve).
   */
  epoch = 0;

  changed(): void {
    this.epoch++;
  }

  constructor(
    readonly settings: ConnectionSettings,
    private readonly agent: https.Agent,
  ) {}

  /**
   * The service content, logging in first when there is no session yet. The login is shared by
   * every caller waiting for it, so it runs under its own deadline, not the first caller's signal
   * (review finding 16: one operation's deadline failed the login of all the others); each caller
   * stops waiting when its own signal aborts.
   */
  async session(signal?: AbortSignal): Promise<ServiceContent> {
    if (this.content && this.cookie) return this.content;
    this.login ??= this.doLogin(AbortSignal.timeout(LOGIN_TIMEOUT_MS)).finally(() => {
      this.login = undefined;
    });
    return untilAborted(this.login, signal, `vSphere ${this.settings.server}: login`);
  }

  /**
   * Ends the session on vCenter (SessionManager.Logout), so a provider process does not leave one
   * behind until vCenter's idle timeout (review finding 16: drift runs every few minutes piled
   * them up). Best effort and bounded: a failure here changes nothing for the user.
   */
  async logout(timeoutMs = 2000): Promise<void> {
    const content = this.content;
    const cookie = this.cookie;
    this.content = undefined;
    this.cookie = undefined;
    if (!content || !cookie) return;
    try {
      await post(
        this.settings,
        this.agent,
        envelope("Logout", content.sessionManager, {}),
        cookie,
        AbortSignal.timeout(timeoutMs),
      );
      this.logouts++;
    } catch {
      // The session ends on its own at vCenter's idle timeout.
    }
  }

  private async doLogin(signal?: AbortSignal): Promise<ServiceContent> {
    const sc = await this.send("RetrieveServiceContent", SERVICE_INSTANCE, {}, signal);
    const need = (name: string): MoRef => {
      const r = moref(child(sc, name));
      if (!r)
        throw new TerminalError(
          `vSphere ${this.settings.server}: service content has no ${name}; is this a vCenter?`,
        );
      return r;
    };
    const content: ServiceContent = {
      rootFolder: need("rootFolder"),
      propertyCollector: need("propertyCollector"),
      sessionManager: need("sessionManager"),
      searchIndex: need("searchIndex"),
      customFieldsManager: moref(child(sc, "customFieldsManager")),
      apiVersion: String((child(child(sc, "about"), "apiVersion") as string | undefined) ?? ""),
    };
    this.cookie = undefined;
    this.logins++;
    await this.send(
      "Login",
      content.sessionManager,
      { userName: this.settings.user, password: this.settings.password },
      signal,
    );
    if (!this.cookie)
      throw new TerminalError(`vSphere ${this.settings.server}: login returned no session cookie`);
    this.content = content;
    return content;
  }

  /** Calls a vim25 method; returns its `returnval` (parsed XML, or undefined for void methods). */
  async invoke(method: string, thisRef: MoRef, body: XmlObject, signal?: AbortSignal): Promise<unknown> {
    await this.session(signal);
    const used = this.cookie;
    try {
      return await this.send(method, thisRef, body, signal);
    } catch (err) {
      if (!(err instanceof NotAuthenticatedError)) throw err;
      // The session expired (vCenter's idle timeout): log in again once. Only the session this
      // call was sent with has ended: a late answer must not throw away a newer one another call
      // has made meanwhile (review finding 16: that caused extra logins).
      if (this.cookie === used) {
        this.content = undefined;
        this.cookie = undefined;
      }
      await this.session(signal);
      return this.send(method, thisRef, body, signal);
    } finally {
      if (!READ_ONLY.has(method)) this.changed();
    }
  }

  private async send(
    method: string,
    thisRef: MoRef,
    body: XmlObject,
    signal?: AbortSignal,
  ): Promise<unknown> {
    this.calls++;
    const res = await post(this.settings, this.agent, envelope(method, thisRef, body), this.cookie, signal);
    if (res.setCookie) this.cookie = res.setCookie;
    let doc: Node;
    try {
      doc = parseXml(res.body);
    } catch (err) {
      if (err instanceof XmlRefused)
        throw new TerminalError(`${method}: vSphere ${this.settings.server}: ${err.message}`, err);
      throw new RetryableError(
        `${method}: vSphere ${this.settings.server} sent unreadable XML (HTTP ${res.status})`,
        err,
      );
    }
    const bodyNode = child(child(doc, "soapenv:Envelope"), "soapenv:Body");
    const fault = child(bodyNode, "soapenv:Fault");
    const ctx = { server: this.settings.server, user: this.settings.user, method };
    if (fault) throw soapFault(fault, ctx);
    if (res.status >= 500 || !bodyNode) {
      throw new RetryableError(`${method}: vSphere ${this.settings.server} answered HTTP ${res.status}`);
    }
    if (res.status >= 400)
      throw new TerminalError(`${method}: vSphere ${this.settings.server} answered HTTP ${res.status}`);
    return child(child(bodyNode, `${method}Response`), "returnval");
  }
}

/** A login is two round trips; a vCenter that takes longer is not answering. */
const LOGIN_TIMEOUT_MS = 60_000;

/** `p`, or a retryable failure as soon as `signal` aborts (p itself goes on for its other waiters). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined, label: string): Promise<T> {
  if (!signal) return p;
  const aborted = () => new RetryableError(`${label}: request aborted (deadline passed)`);
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

const clients = new Map<string, VimClient>();

/** Logs out of every session this process opened (at most `timeoutMs` in all). */
export async function logoutAll(timeoutMs = 2000): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((c) => c.logout(timeoutMs)));
}

let exitHookInstalled = false;

/**
 * The engine stops a provider with SIGINT and kills it 5 s later (pulumi sdk plugin.go). On
 * SIGINT, log out first (bounded by 2 s), then let the signal do what it would have done. Only
 * installed once a vSphere session exists, so processes that never talk to vCenter keep Node's
 * default handling.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const onSignal = (sig: NodeJS.Signals) => {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    void logoutAll().finally(() => process.kill(process.pid, sig));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
}

function cacheKey(s: ConnectionSettings): string {
  // The credentials are part of the key only as a hash: a changed password gets a new session.
  const h = crypto
    .createHash("sha256")
    .update(`${s.password}\0${s.allowUnverifiedSsl}\0${s.ca ?? ""}`)
    .digest("hex");
  return `${s.url}\0${s.user}\0${h}`;
}

/** The process-wide client for these settings (one session per server+user). */
export function clientFor(s: ConnectionSettings): VimClient {
  const key = cacheKey(s);
  let c = clients.get(key);
  if (!c) {
    c = new VimClient(s, agentFor(s));
    clients.set(key, c);
    installExitHook();
  }
  return c;
}
