// `vmha dashboard` in Debian's headless Chromium, over a real etcd: after h2 was fenced and web
// moved to h3, the page (rendered by its own script from the model it embeds) shows h2 fenced
// with its lease gone, web on h3, the fence in the timeline; and a screenshot of it.
// CI=true: a missing chromium fails; locally the test is skipped with the install command.
// VMHA_DOCS_SCREENSHOT=1 also copies the screenshot to docs/dashboard.png (the README's).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import type { Dashboard } from "../../../provider/runtime/dashboard/server";
import { chromiumOrSkip, dumpDom, rowOf, screenshot } from "../../support/chromium";
import { dashboardOnEtcd } from "../../support/dashboard-etcd";
import { FENCE_SECRET } from "../../support/dashboard-fixture";

const ROOT = path.join(__dirname, "..", "..", "..", "..");
let env: Awaited<ReturnType<typeof dashboardOnEtcd>> | undefined;
let dash: Dashboard | undefined;

before(async () => {
  env = await dashboardOnEtcd("after");
  dash = env.dash;
});
after(async () => {
  await env?.stop();
});

test("headless Chromium shows h2 fenced and down, web on h3, the fence in the timeline", async (t) => {
  const bin = chromiumOrSkip(t);
  if (!bin) return;
  const dom = await dumpDom(bin, dash!.url);
  const h2 = rowOf(dom, 'data-host="h2"');
  assert.ok(h2, `no row for h2 in the DOM:\n${dom.slice(0, 2000)}`);
  assert.match(h2, /data-state="fenced"/);
  assert.match(h2, /data-lease="false"/);
  assert.match(h2, />gone</);
  assert.match(h2, /fence device confirmed off/);
  const h1 = rowOf(dom, 'data-host="h1"')!;
  assert.match(h1, /class="primary"/);
  const web = rowOf(dom, 'data-resource="web"');
  assert.ok(web);
  assert.match(web, /data-on="h3"/);
  assert.match(web, /data-state="started"/);
  assert.match(dom, /data-kind="fence"[^>]*>.*?host h2: status change fencing =&gt; fenced/);
  assert.match(dom, /tolerates \d host failure/);
  // the rows above exist only if the page's script ran; it then follows the SSE stream (whose
  // updates tests/integration/runtime/dashboard.test.ts checks at the protocol level)
  assert.match(dom, /<span id="conn" class="conn[^"]*">/);
  assert.ok(!dom.includes(FENCE_SECRET));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-dashboard-browser-"));
  const png = path.join(dir, "dashboard.png");
  await screenshot(bin, dash!.url, png);
  t.diagnostic(`screenshot: ${png}`);
  if (process.env["VMHA_DOCS_SCREENSHOT"] === "1")
    fs.copyFileSync(png, path.join(ROOT, "docs", "dashboard.png"));
});
