// One HTTPS POST of a SOAP envelope, with the session cookie, keep-alive, and TLS settings.
import * as https from "node:https";
import * as tls from "node:tls";
import { RetryableError, TerminalError } from "../../core/errors";
import type { ConnectionSettings } from "./settings";

export interface SoapResponse {
  status: number;
  body: string;
  setCookie?: string;
}

export const API_VERSION = "7.0.3.0";

/**
 * The trust store with the configured CA added. Node's `ca` option *replaces* the default store
 * (review finding 16): a CA file for a private vCenter CA must not make every other chain,
 * including one a public CA signed, untrusted. `getCACertificates("default")` is what Node uses
 * without `ca` (bundled roots, NODE_EXTRA_CA_CERTS, the system store when enabled); older Node
 * versions only have the bundled roots.
 */
export function trustedCAs(extra: string): string[] {
  const t = tls as typeof tls & { getCACertificates?: (kind: "default") => string[] };
  const base =
    typeof t.getCACertificates === "function" ? t.getCACertificates("default") : tls.rootCertificates;
  return [...base, extra];
}

export function agentFor(s: ConnectionSettings): https.Agent {
  return new https.Agent({
    keepAlive: true,
    maxSockets: 8,
    rejectUnauthorized: !s.allowUnverifiedSsl,
    ...(s.ca ? { ca: trustedCAs(s.ca) } : {}),
  });
}

const oneLine = (m: string) => m.replace(/\s+/g, " ").trim().slice(0, 200);

const CA_HINT =
  "give its CA with vmha:vsphereCaFile / VSPHERE_CA_FILE, or (test systems only) set vmha:vsphereAllowUnverifiedSsl true";

/**
 * A TLS failure as a terminal error that says what to do, or undefined for other errors. None of
 * these gets better by retrying (review finding 16: only six certificate codes were terminal; the
 * rest were retried four times and then shown raw).
 */
export function tlsProblem(server: string, code: string | undefined, message: string): string | undefined {
  if (!code) return undefined;
  const at = `vSphere ${server}`;
  // Older OpenSSL builds report a plain HTTP answer as EPROTO "wrong version number".
  if (code === "EPROTO" && /wrong version number|http request/i.test(message))
    code = "ERR_SSL_WRONG_VERSION_NUMBER";
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return `${at}: the server's certificate ${code === "CERT_HAS_EXPIRED" ? "has expired" : "is not valid yet"} (${code}); renew it in vCenter, or check this machine's clock`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code === "HOSTNAME_MISMATCH") {
    return `${at}: the server's certificate does not name ${server.replace(/:\d+$/, "")} (${code}); set vmha:vsphereServer to a name the certificate holds`;
  }
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_HTTP_REQUEST") {
    return `${at}: the server did not answer with TLS (${code}); is this an HTTPS port? vCenter's SDK is on port 443 (vmha:vsphereServer)`;
  }
  if (
    /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|CERT_|CRL_|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE|ERROR_IN_CERT)/.test(
      code,
    )
  ) {
    return `${at}: the server's certificate is not trusted (${code}); ${CA_HINT}`;
  }
  if (/^ERR_(SSL|TLS)_/.test(code) || code === "EPROTO") {
    return `${at}: the TLS handshake failed (${code}: ${oneLine(message)}); check that vmha:vsphereServer is vCenter's HTTPS endpoint and that it accepts TLS 1.2 or newer`;
  }
  return undefined;
}

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
      const tlsMessage = tlsProblem(s.server, err.code, err.message);
      if (tlsMessage) {
        reject(new TerminalError(tlsMessage, err));
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
