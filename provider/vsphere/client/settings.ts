// Where to connect and how: stack configuration (`vmha:vsphere*`) first, then the environment
// variables @pulumi/vsphere users already have. Pure: takes a config reader and an environment.
import * as fs from "node:fs";
import { configBoolean } from "../../core/config-values";
import { TerminalError } from "../../core/errors";
import type { ConfigReader } from "../../core/resource";

export interface ConnectionSettings {
  /** `https://host[:port]/sdk` */
  url: string;
  /** host[:port], for messages. */
  server: string;
  user: string;
  password: string;
  /** Certificate verification is on unless explicitly turned off. */
  allowUnverifiedSsl: boolean;
  /** PEM bundle of extra trusted CAs. */
  ca?: string;
}

const KEYS = {
  server: ["vmha:vsphereServer", "VSPHERE_SERVER"],
  user: ["vmha:vsphereUser", "VSPHERE_USER"],
  password: ["vmha:vspherePassword", "VSPHERE_PASSWORD"],
  insecure: ["vmha:vsphereAllowUnverifiedSsl", "VSPHERE_ALLOW_UNVERIFIED_SSL"],
  caFile: ["vmha:vsphereCaFile", "VSPHERE_CA_FILE"],
  ca: ["vmha:vsphereCaCert", "VSPHERE_CA_CERT"],
} as const;

function pick(
  config: ConfigReader,
  env: NodeJS.ProcessEnv,
  [c, e]: readonly [string, string],
): string | undefined {
  const v = config.get(c) ?? env[e];
  return v === undefined || v === "" ? undefined : v;
}

export function connectionSettings(
  config: ConfigReader,
  env: NodeJS.ProcessEnv = process.env,
): ConnectionSettings {
  const missing = (k: readonly [string, string]) =>
    new TerminalError(
      `vSphere connection: set stack config ${k[0]} (pulumi config set) or the environment variable ${k[1]}`,
    );
  const server = pick(config, env, KEYS.server);
  const user = pick(config, env, KEYS.user);
  const password = pick(config, env, KEYS.password);
  if (!server) throw missing(KEYS.server);
  if (!user) throw missing(KEYS.user);
  if (password === undefined) throw missing(KEYS.password);
  let u: URL;
  try {
    u = new URL(/^https?:\/\//.test(server) ? server : `https://${server}`);
  } catch {
    throw new TerminalError(
      `vSphere connection: ${KEYS.server[0]} ${JSON.stringify(server)} is not a host name or URL`,
    );
  }
  if (u.protocol !== "https:") throw new TerminalError(`vSphere connection: ${server} must use https`);
  const caFile = pick(config, env, KEYS.caFile);
  let ca = pick(config, env, KEYS.ca);
  if (caFile) {
    try {
      ca = fs.readFileSync(caFile, "utf8");
    } catch (err) {
      throw new TerminalError(
        `vSphere connection: cannot read the CA file ${caFile}: ${(err as Error).message}`,
      );
    }
  }
  return {
    url: `https://${u.host}${u.pathname === "/" ? "/sdk" : u.pathname}`,
    server: u.host,
    user,
    password,
    allowUnverifiedSsl: configBoolean(pick(config, env, KEYS.insecure), KEYS.insecure.join(" / ")),
    ...(ca ? { ca } : {}),
  };
}
