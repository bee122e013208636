// Reading stack configuration values that are not plain strings. Pure.
import { TerminalError } from "./errors";

/**
 * A yes/no setting: true/false, 1/0, yes/no in any case; unset is `fallback`. Anything else is
 * refused rather than read as "no": a typo such as `ture` must not silently turn TLS off.
 * `where` names every place the value can come from (config key and environment variable).
 */
export function configBoolean(v: string | undefined, where: string, fallback = false): boolean {
  if (v === undefined || v.trim() === "") return fallback;
  const t = v.trim();
  if (/^(1|true|yes)$/i.test(t)) return true;
  if (/^(0|false|no)$/i.test(t)) return false;
  throw new TerminalError(
    `${where} must be true or false (also accepted: 1/0, yes/no, any case), got ${JSON.stringify(v)}; ` +
      "set it with pulumi config set or in the environment",
  );
}
