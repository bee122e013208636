// One HTTPS POST of a SOAP envelope, with the session cookie, keep-alive, and TLS settings.
import * as https from "node:https";
import { RetryableError, TerminalError } from "../../core/errors";
import type { ConnectionSettings } from "./settings";

export interface SoapResponse {
  status: number;
  body: string;
  setCookie?: string;
}

export const API_VERSION = "7.0.3.0";

export function agentFor(s: ConnectionSettings): https.Agent {
  return new https.Agent({
    keepAlive: true,
    maxSockets: 8,
    rejectUnauthorized: !s.allowUnverifiedSsl,
    ...(s.ca ? { ca: s.ca } : {}),
  });
}

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export function post(
  s: ConnectionSettings,
  agent: https.Agent,
  xml: string,
  cookie: string | undefined,
  signal?: AbortSignal,
): Promise<SoapResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      s.url,
      {
        method: "POST",
        agent,
        signal,
        headers: {
          "Content-Type": "text/xml; charset=utf-8",
          SOAPAction: `urn:vim25/${API_VERSION}`,
          "Content-Length": Buffer.byteLength(xml),
          ...(cookie ? { Cookie: cookie } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const sc = res.headers["set-cookie"]?.find((c) => c.startsWith("vmware_soap_session="));
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            ...(sc ? { setCookie: sc.split(";")[0] } : {}),
          });
        });
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code && TLS_CODES.has(err.code)) {
        reject(
          new TerminalError(
            `vSphere ${s.server}: the server's certificate is not trusted (${err.code}); give its CA with ` +
              "vmha:vsphereCaFile / VSPHERE_CA_FILE, or (test systems only) set vmha:vsphereAllowUnverifiedSsl true",
            err,
          ),
        );
      } else if (err.name === "AbortError") {
        reject(new RetryableError(`vSphere ${s.server}: request aborted (deadline passed)`, err));
      } else {
        const e = new RetryableError(`vSphere ${s.server}: ${err.code ?? ""} ${err.message}`.trim(), err);
        reject(e);
      }
    });
    req.end(xml);
  });
}
