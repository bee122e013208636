// `vmha dashboard` APPLIES a live update in a real browser: Debian's headless Chromium, driven over
// the DevTools protocol (tests/support/cdp.ts, no npm dependency), loads the page over a real etcd
// with every host online and web on h2; then h2 is fenced, web recovered to h3 and the events
// logged in the store, and, with no reload (a marker set on the page's window survives, no
// navigation event), the page's own SSE client and DOM code show h2 fenced with its lease gone,
// web on h3 and the fence in the timeline. Screenshots before and after the update.
// CI=true: a missing chromium fails; locally the test is skipped with the install command.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import type { Dashboard } from "../../../provider/runtime/dashboard/server";
import type { EtcdStore } from "../../../provider/runtime/store/etcd-store";
import { Cdp, type CdpChromium, launchCdpChromium } from "../../support/cdp";
import { chromiumOrSkip } from "../../support/chromium";
import { dashboardOnEtcd, writeAfter } from "../../support/dashboard-etcd";
import { FENCE_SECRET } from "../../support/dashboard-fixture";

let env: Awaited<ReturnType<typeof dashboardOnEtcd>> | undefined;
let store: EtcdStore | undefined;
let dash: Dashboard | undefined;

before(async () => {
  env = await dashboardOnEtcd("before");
  store = env.store;
  dash = env.dash;
});
after(async () => {
  await env?.stop();
});

/** What the page shows, as a user reads it (innerText), plus the no-reload marker. */
interface Shown {
  text: string;
  h2: string;
  web: string;
  timeline: string[];
  conn: string;
  marker: unknown;
}

const SHOWN = `JSON.stringify({
  text: document.body.innerText,
  h2: document.querySelector('tr[data-host="h2"]')?.innerText ?? "",
  web: document.querySelector('tr[data-resource="web"]')?.innerText ?? "",
  timeline: Array.from(document.querySelectorAll("#timeline li"), (li) => li.innerText),
  conn: document.getElementById("conn")?.innerText ?? "",
  marker: window.__marker ?? null,
})`;

async function evaluate(cdp: Cdp, session: string, expression: string): Promise<unknown> {
  const r = await cdp.send("Runtime.evaluate", { expression, returnByValue: true }, session);
  if (r["exceptionDetails"]) throw new Error(`page: ${JSON.stringify(r["exceptionDetails"])}`);
  return (r["result"] as { value?: unknown } | undefined)?.value;
}

async function shown(cdp: Cdp, session: string): Promise<Shown | undefined> {
  const v = await evaluate(cdp, session, `document.getElementById("conn") ? ${SHOWN} : null`);
  return typeof v === "string" ? (JSON.parse(v) as Shown) : undefined;
}

/** Polls the page every 100 ms until ok(shown) or timeoutMs; the failure shows the page's text. */
async function waitShown(
  cdp: Cdp,
  session: string,
  ok: (s: Shown) => boolean,
  timeoutMs: number,
  what: string,
): Promise<Shown> {
  const deadline = Date.now() + timeoutMs;
  let last: Shown | undefined;
  for (;;) {
    last = (await shown(cdp, session)) ?? last;
    if (last && ok(last)) return last;
    if (Date.now() > deadline)
      throw new Error(
        `the page did not show ${what} within ${timeoutMs} ms; it shows:\n${last?.text ?? "(no page)"}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function screenshotTo(cdp: Cdp, session: string, file: string): Promise<void> {
  const r = await cdp.send("Page.captureScreenshot", { format: "png" }, session);
  const png = Buffer.from(String(r["data"]), "base64");
  assert.equal(png.subarray(0, 8).toString("hex"), "89504e470d0a1a0a", "not a PNG");
  fs.writeFileSync(file, png);
}

const NAVIGATIONS = new Set([
  "Page.frameNavigated",
  "Page.frameStartedNavigating",
  "Page.domContentEventFired",
  "Page.loadEventFired",
]);

test("headless Chromium applies a live update over SSE: h2 fenced, web on h3, the fence in the timeline, no reload", {
  timeout: 90000,
}, async (t) => {
  const bin = chromiumOrSkip(t);
  if (!bin) return;
  let chromium: CdpChromium | undefined;
  let cdp: Cdp | undefined;
  try {
    chromium = await launchCdpChromium(bin);
    cdp = await Cdp.connect(chromium.wsUrl);
    const { targetId } = (await cdp.send("Target.createTarget", { url: "about:blank" })) as {
      targetId: string;
    };
    const { sessionId: s } = (await cdp.send("Target.attachToTarget", { targetId, flatten: true })) as {
      sessionId: string;
    };
    await cdp.send("Page.enable", {}, s);
    await cdp.send(
      "Emulation.setDeviceMetricsOverride",
      { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false },
      s,
    );
    const nav = await cdp.send("Page.navigate", { url: dash!.url }, s);
    assert.equal(nav["errorText"], undefined, `navigating to ${dash!.url}: ${String(nav["errorText"])}`);

    // the initial state, rendered by the page's script, and its SSE stream open ("live")
    const first = await waitShown(
      cdp,
      s,
      (x) => /\bonline\b/.test(x.h2) && /\balive\b/.test(x.h2) && /\bh2\b/.test(x.web) && x.conn === "live",
      10000,
      "h2 online, web on h2, the stream live",
    );
    assert.doesNotMatch(first.h2, /fenced|gone/);
    assert.doesNotMatch(first.web, /\bh3\b/);
    assert.equal(first.timeline.length, 0, `timeline before the failure: ${first.timeline.join(" | ")}`);
    assert.equal(await evaluate(cdp, s, "window.__marker = 1"), 1);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-dashboard-live-"));
    await screenshotTo(cdp, s, path.join(outDir, "before.png"));
    const eventsBefore = cdp.events.length;

    // h2 fails: lease and report gone, fenced, web recovered to h3, the events in the log
    const t0 = Date.now();
    await writeAfter(store!);
    const live = await waitShown(
      cdp,
      s,
      (x) =>
        /\bfenced\b/.test(x.h2) &&
        /\bgone\b/.test(x.h2) &&
        /\bh3\b/.test(x.web) &&
        x.timeline.some((l) => /host h2: status change fencing => fenced/.test(l)) &&
        x.timeline.length === 4, // all four events (one read may see the manager before the last event)
      10000,
      "h2 fenced with its lease gone, web on h3 and the fence in the timeline (live, without a reload)",
    );
    const took = Date.now() - t0;
    assert.match(live.h2, /fence device confirmed off/);
    assert.match(live.web, /\bstarted\b/);
    assert.doesNotMatch(live.web, /\bh2\b/);
    assert.match(live.timeline[0] ?? "", /resource web: status change starting => started/);
    assert.equal(live.conn, "live");
    assert.ok(!live.text.includes(FENCE_SECRET));
    // applied in place: the window is the same one (marker kept), nothing navigated or loaded
    assert.equal(live.marker, 1, "window.__marker is gone: the page was reloaded");
    const navs = cdp.events.slice(eventsBefore).filter((e) => NAVIGATIONS.has(e.method));
    assert.deepEqual(
      navs.map((e) => e.method),
      [],
      "the page navigated or reloaded",
    );

    const png = path.join(outDir, "after.png");
    await screenshotTo(cdp, s, png);
    t.diagnostic(`update shown after ${took} ms; screenshots: ${outDir}/before.png, ${png}`);
  } finally {
    cdp?.close();
    await chromium?.kill();
  }
});
