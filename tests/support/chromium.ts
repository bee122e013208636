// Debian's headless Chromium, driven from its command line (no npm dependency): the DOM after the
// page's scripts ran (--dump-dom) and screenshots. Each run gets its own profile folder, so tests
// running at once never share one. Asynchronous on purpose: the dashboard under test usually runs
// in the same process, and a blocking spawn would leave it unable to answer the browser.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const CHROMIUM_INSTALL = "apt-get install -y chromium";

export function findChromium(): string | undefined {
  for (const p of [process.env["CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"])
    if (p && fs.existsSync(p)) return p;
  return undefined;
}

/** In CI a missing browser fails the test; locally the test is skipped with the install command. */
export function chromiumOrSkip(t: { skip(msg: string): void }): string | undefined {
  const bin = findChromium();
  if (bin) return bin;
  if (process.env["CI"] === "true" || process.env["CI"] === "1")
    throw new Error(`chromium not found (CI=${process.env["CI"]}): ${CHROMIUM_INSTALL}`);
  t.skip(`chromium not installed: ${CHROMIUM_INSTALL}`);
  return undefined;
}

/** Flags of every headless Chromium the tests start (a profile directory is added per run). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox", // tests run as root in a container
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--no-first-run",
  "--hide-scrollbars",
] as const;

async function run(bin: string, args: string[]): Promise<string> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-chromium-"));
  const argv = [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args];
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(
        bin,
        argv,
        { encoding: "utf8", timeout: 60000, maxBuffer: 32 * 1024 * 1024 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`chromium ${args.join(" ")}: ${err.message} ${stderr}`)) : resolve(stdout),
      );
    });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// No --virtual-time-budget: virtual time waits for every request to finish, and a page holding a
// Server-Sent Events stream never finishes one (Chromium then hangs until killed). The DOM and the
// screenshot are taken after the load event, when the page's script has rendered its model.

/** The DOM after the load event (the page's scripts ran). */
export function dumpDom(bin: string, url: string): Promise<string> {
  return run(bin, ["--dump-dom", url]);
}

export async function screenshot(bin: string, url: string, file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await run(bin, [`--screenshot=${file}`, "--window-size=1280,900", url]);
  const sig = fs.readFileSync(file).subarray(0, 8).toString("hex");
  if (sig !== "89504e470d0a1a0a") throw new Error(`${file} is not a PNG`);
}

/** The attributes and text of the element whose opening tag contains `marker` (a data attribute). */
export function rowOf(dom: string, marker: string): string | undefined {
  const i = dom.indexOf(marker);
  if (i < 0) return undefined;
  const start = dom.lastIndexOf("<tr", i);
  const end = dom.indexOf("</tr>", i);
  return dom.slice(start, end);
}
