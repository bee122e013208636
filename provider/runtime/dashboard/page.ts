// The dashboard's static page: plain HTML, CSS and JS kept as strings in this module, so they ship
// inside dist/ with no build step, no CDN and nothing to resolve on disk at run time. The script
// renders a DashboardModel (model.ts) with textContent only (nothing from the store is parsed as
// HTML) and follows the server's Server-Sent Events; the browser never polls etcd or the server.

/** Escapes JSON for a <script type="application/json"> block: "</script>" cannot end it early. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function pageHtml(cluster: string, initial: unknown): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vmha ${escapeHtml(cluster)}</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>vmha <span id="cluster">${escapeHtml(cluster)}</span></h1>
  <div id="meta"><span id="primary"></span> <span id="revision"></span> <span id="conn" class="conn">connecting</span></div>
</header>
<div id="store-error" class="banner" hidden></div>
<main>
  <section><h2>Hosts</h2><table id="hosts"><thead><tr><th>host</th><th>state</th><th>lease</th><th>runs</th><th>fence</th><th>reason</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Failover headroom</h2><div id="headroom"></div></section>
  <section><h2>Resources</h2><table id="resources"><thead><tr><th>resource</th><th>state</th><th>runs on</th><th>assigned</th><th>reason</th></tr></thead><tbody></tbody></table></section>
  <section id="failures-section" hidden><h2>Failures</h2><ul id="failures"></ul></section>
  <section><h2>Timeline <small>(newest first)</small></h2><ol id="timeline"></ol></section>
</main>
<script type="application/json" id="initial">${jsonForScript(initial)}</script>
<script src="/app.js"></script>
</body>
</html>
`;
}

export const PAGE_CSS = `
:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #6e7781; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1.5rem 2rem; }
header { display: flex; align-items: baseline; gap: 1.5rem; border-bottom: 1px solid #8884; }
h1 { font-size: 1.4rem; margin: .8rem 0; } h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 0 2rem; }
main > section:nth-child(n+3) { grid-column: 1 / -1; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25rem .6rem .25rem 0; border-bottom: 1px solid #8882; vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
.state { font-weight: 600; padding: 0 .4rem; border-radius: .3rem; }
.state-online, .state-started { color: var(--ok); }
.state-suspect, .state-fencing, .state-maintenance, .state-starting, .state-stopping,
.state-migrating, .state-relocating, .state-recovering, .state-offline { color: var(--warn); }
.state-fenced, .state-error, .state-unknown { color: #fff; background: var(--bad); }
.lease-dead { color: var(--bad); font-weight: 600; } .lease-alive { color: var(--ok); }
.primary { font-size: .75rem; border: 1px solid currentColor; border-radius: .3rem; padding: 0 .3rem; margin-left: .4rem; }
.split { color: var(--bad); font-weight: 700; }
.muted { color: var(--muted); }
.banner { background: var(--bad); color: #fff; padding: .4rem .8rem; margin-top: .6rem; }
.conn { font-size: .8rem; color: var(--muted); } .conn.live { color: var(--ok); } .conn.down { color: var(--bad); }
#headroom .big { font-size: 1.6rem; font-weight: 700; } #headroom .bad { color: var(--bad); } #headroom .good { color: var(--ok); }
ol#timeline { list-style: none; padding: 0; margin: 0; font-family: ui-monospace, monospace; font-size: 12.5px; }
ol#timeline li { padding: .1rem 0; border-bottom: 1px solid #8881; }
ol#timeline .t { color: var(--muted); margin-right: .6rem; }
ol#timeline li.kind-fence { color: var(--bad); } ol#timeline li.kind-failover { color: var(--warn); }
ol#timeline li.level-error { font-weight: 700; }
@media (max-width: 800px) { main { grid-template-columns: 1fr; } }
`;

export const PAGE_JS = `"use strict";
(function () {
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) { if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function state(s) { return el("span", { class: "state state-" + s, text: s }); }
  function fill(tbody, rows) { tbody.replaceChildren.apply(tbody, rows); }
  function time(iso) { return String(iso).replace("T", " ").slice(0, 23); }

  function render(m) {
    document.getElementById("primary").textContent = "primary: " + (m.primary || "NONE");
    document.getElementById("revision").textContent = "store revision " + m.revision;
    var err = document.getElementById("store-error");
    err.hidden = !m.storeError;
    err.textContent = m.storeError ? "store unreachable, showing the last good read: " + m.storeError : "";

    fill(document.querySelector("#hosts tbody"), m.hosts.map(function (h) {
      var name = el("td", null, [h.host, h.primary ? el("span", { class: "primary", text: "primary" }) : null]);
      var st = el("td", null, [state(h.state), h.maintenanceRequested && h.state !== "maintenance" ? el("span", { class: "muted", text: " (maintenance requested)" }) : null]);
      return el("tr", { "data-host": h.host, "data-state": h.state, "data-lease": String(h.lease) }, [
        name, st,
        el("td", { class: h.lease ? "lease-alive" : "lease-dead", text: h.lease ? "alive" : "gone" }),
        el("td", { text: h.running.length ? h.running.join(", ") : "-" }),
        el("td", { class: "muted", text: h.fenceAgent || "none" }),
        el("td", { class: "muted", text: h.reason || "" })
      ]);
    }));

    var hr = document.getElementById("headroom");
    if (m.headroom) {
      var ok = m.headroom.ok;
      hr.replaceChildren(
        el("div", { class: "big " + (ok ? "good" : "bad"), "data-tolerated": String(m.headroom.tolerated) },
          ["tolerates " + m.headroom.tolerated + " host failure" + (m.headroom.tolerated === 1 ? "" : "s")]),
        el("div", { class: "muted", text: "admission policy " + m.headroom.policy + " promises " + m.headroom.required + (ok ? "" : ": HEADROOM LOST") })
      );
    } else hr.replaceChildren(el("div", { class: "muted", text: m.headroomNote || "unknown" }));

    fill(document.querySelector("#resources tbody"), m.resources.map(function (r) {
      var where = r.runningOn.length > 1 ? el("span", { class: "split", text: "RUNNING ON " + r.runningOn.join(" AND ") })
        : document.createTextNode(r.runningOn[0] || "not running");
      var assigned = (r.node || "-") + (r.target ? " -> " + r.target : "");
      return el("tr", { "data-resource": r.name, "data-state": r.state, "data-on": r.runningOn.join(",") }, [
        el("td", { text: r.name }), el("td", null, [state(r.state)]), el("td", null, [where]),
        el("td", { class: "muted", text: assigned }), el("td", { class: "muted", text: r.reason || "" })
      ]);
    }));

    var fs = document.getElementById("failures-section");
    fs.hidden = m.failures.length === 0;
    fill(document.getElementById("failures"), m.failures.map(function (f) {
      return el("li", { text: f.resource + " on " + f.host + ": " + f.op + " failed: " + f.reason });
    }));

    fill(document.getElementById("timeline"), m.timeline.map(function (e) {
      return el("li", { class: "kind-" + e.kind + " level-" + e.level, "data-kind": e.kind }, [
        el("span", { class: "t", text: time(e.at) }), e.host + " " + e.subject + ": " + e.message
      ]);
    }));
    document.body.setAttribute("data-revision", String(m.revision));
  }

  render(JSON.parse(document.getElementById("initial").textContent));
  var conn = document.getElementById("conn");
  var es = new EventSource("/events");
  es.addEventListener("model", function (ev) { render(JSON.parse(ev.data)); });
  es.onopen = function () { conn.textContent = "live"; conn.className = "conn live"; };
  // EventSource reconnects by itself; the page only says so
  es.onerror = function () { conn.textContent = "reconnecting"; conn.className = "conn down"; };
})();
`;
