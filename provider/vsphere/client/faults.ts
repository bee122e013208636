// vSphere faults -> errors a person can act on. Pure: takes a parsed SOAP fault, returns an Error.
import { RetryableError, TerminalError } from "../../core/errors";
import { child, list, type MoRef, moref, str, text, xsiType } from "./xml";

/** The object a call named no longer exists (deleted outside Pulumi). */
export class NotFoundError extends TerminalError {
  constructor(
    message: string,
    readonly obj?: MoRef,
  ) {
    super(message);
  }
}

/** The session expired or was never valid: log in again and retry once. */
export class NotAuthenticatedError extends TerminalError {}

/** vCenter refused the request: wrong value, wrong state. Carries the fault type. */
export class VsphereFault extends TerminalError {
  constructor(
    message: string,
    readonly faultType: string,
  ) {
    super(message);
  }
}

/** Fault types that mean "try again later". */
const TRANSIENT = new Set([
  "HostCommunication",
  "RequestCanceled",
  "SystemError",
  "TaskInProgress",
  "Timedout",
]);

export interface FaultContext {
  server: string;
  user: string;
  method: string;
}

function describeRef(r: MoRef | undefined): string {
  return r ? `${r.type} ${r.value}` : "an object";
}

/** Finds the fault element inside `<detail>` (`<XFault xsi:type="X">`), or a LocalizedMethodFault's `fault`. */
export function faultDetail(detail: unknown): { type: string; node: unknown } | undefined {
  if (!detail || typeof detail !== "object") return undefined;
  for (const [k, v] of Object.entries(detail)) {
    if (k.startsWith("@_") || k === "#text") continue;
    const node = list(v)[0];
    return { type: xsiType(node) ?? k.replace(/Fault$/, ""), node };
  }
  return undefined;
}

function messages(node: unknown): string[] {
  return list(child(node, "faultMessage"))
    .map((m) => str(m, "message"))
    .filter((m): m is string => !!m);
}

/** Maps one vSphere fault to an error. `fallback` is the faultstring or localizedMessage. */
export function faultError(
  type: string,
  node: unknown,
  fallback: string | undefined,
  ctx: FaultContext,
): Error {
  const extra = [fallback, ...messages(node)].filter((m) => m && m.trim() !== "").join("; ");
  const tail = extra ? `: ${extra}` : "";
  switch (type) {
    case "InvalidLogin":
      return new TerminalError(
        `vSphere login to ${ctx.server} as ${JSON.stringify(ctx.user)} failed: invalid user name or password ` +
          "(set vmha:vsphereUser / vmha:vspherePassword, or VSPHERE_USER / VSPHERE_PASSWORD)",
      );
    case "NotAuthenticated":
      return new NotAuthenticatedError(
        `${ctx.method}: the vSphere session is not (or no longer) authenticated`,
      );
    case "ManagedObjectNotFound": {
      const obj = moref(child(node, "obj"));
      return new NotFoundError(
        `${describeRef(obj)} does not exist in vCenter ${ctx.server} (deleted outside Pulumi?)`,
        obj,
      );
    }
    case "NoPermission": {
      const obj = moref(child(node, "object"));
      const priv = str(node, "privilegeId");
      return new VsphereFault(
        `${ctx.method}: user ${JSON.stringify(ctx.user)} lacks the privilege ${priv ?? "(unknown)"} on ${describeRef(obj)}; ` +
          "grant it to the user's role in vCenter",
        type,
      );
    }
    case "InvalidArgument": {
      const prop = str(node, "invalidProperty");
      return new VsphereFault(
        `${ctx.method}: vCenter rejected ${prop ? `the value of ${prop}` : "an argument"}${tail}`,
        type,
      );
    }
    case "DuplicateName": {
      const name = str(node, "name");
      return new VsphereFault(
        `${ctx.method}: the name ${name ? JSON.stringify(name) : ""} is already taken${tail}`,
        type,
      );
    }
    case "SSLVerifyFault": {
      const tp = str(node, "thumbprint");
      return new VsphereFault(
        `${ctx.method}: the host's certificate is not trusted${tp ? ` (thumbprint ${tp})` : ""}; verify it out of band, then set sslThumbprint to it`,
        type,
      );
    }
    case "ResourceInUse": {
      const what = [str(node, "type"), str(node, "name")].filter(Boolean).join(" ");
      return new VsphereFault(
        `${ctx.method}: ${what || "a resource"} is in use (for example a host still running VMs); free it first`,
        type,
      );
    }
    case "ConcurrentAccess":
      // Another client changed the object between our read and our write (review finding 16):
      // retried, and if it keeps happening the message says what to look for.
      return new RetryableError(
        `${ctx.method}: vCenter refused the change because the object was being changed at the same time ` +
          `(ConcurrentAccess)${tail}; if this persists, look for another tool or a DRS/HA task changing it, ` +
          "or lower pulumi up --parallel",
      );
    default:
      if (TRANSIENT.has(type)) return new RetryableError(`${ctx.method}: vCenter fault ${type}${tail}`);
      return new VsphereFault(`${ctx.method}: vCenter fault ${type}${tail}`, type);
  }
}

/** A `<soapenv:Fault>` element to an error. */
export function soapFault(fault: unknown, ctx: FaultContext): Error {
  const faultstring = text(child(fault, "faultstring"));
  const d = faultDetail(child(fault, "detail"));
  if (!d) return new VsphereFault(`${ctx.method}: SOAP fault: ${faultstring ?? "(no message)"}`, "SoapFault");
  return faultError(d.type, d.node, faultstring, ctx);
}

/** A task's `info.error` (LocalizedMethodFault) to an error. */
export function taskFault(error: unknown, task: string, ctx: FaultContext): Error {
  const node = child(error, "fault");
  const type = xsiType(node) ?? "MethodFault";
  const msg = str(error, "localizedMessage");
  const e = faultError(type, node, msg, ctx);
  e.message = `task ${task} failed: ${e.message}`;
  return e;
}
