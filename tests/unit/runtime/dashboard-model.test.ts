// `vmha dashboard`'s page model: pure, from one StoreView and the last events.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSpec } from "../../../provider/runtime/core/spec";
import { dashboardModel, secretValues, timelineKind } from "../../../provider/runtime/dashboard/model";
import { pageHtml } from "../../../provider/runtime/dashboard/page";
import { isLoopback, parseListen } from "../../../provider/runtime/dashboard/server";
import { viewHeadroom } from "../../../provider/runtime/metrics/metrics";
import {
  EVENTS_AFTER,
  FENCE_SECRET,
  MANAGER_AFTER,
  MANAGER_BEFORE,
  REPORTS_AFTER,
  REPORTS_BEFORE,
  RESOURCE_SECRET,
  SPEC,
  view,
} from "../../support/dashboard-fixture";

const after = view(MANAGER_AFTER, REPORTS_AFTER, ["h1", "h3"]);

test("hosts: state, lease, primary marked, what runs there, fence agent by name only", () => {
  const m = dashboardModel("dash", after, EVENTS_AFTER);
  assert.equal(m.primary, "h1");
  assert.deepEqual(
    m.hosts.map((h) => [h.host, h.state, h.lease, h.primary, h.running.join(",")]),
    [
      ["h1", "online", true, true, "db,vip"],
      ["h2", "fenced", false, false, ""],
      ["h3", "online", true, false, "web"],
    ],
  );
  assert.equal(m.hosts[1]!.reason, "fence device confirmed off");
  assert.equal(m.hosts[0]!.fenceAgent, "fence_ipmilan");
});

test("resources: state, where they run (from the reports), assignment", () => {
  const m = dashboardModel("dash", after, []);
  const web = m.resources.find((r) => r.name === "web")!;
  assert.deepEqual([web.state, web.node, web.runningOn], ["started", "h3", ["h3"]]);
  assert.deepEqual(
    m.resources.map((r) => r.name),
    ["db", "vip", "web"],
  );
});

test("headroom is the metrics' viewHeadroom, judged against the policy", () => {
  const spec = parseSpec(SPEC);
  const before = dashboardModel("dash", view(MANAGER_BEFORE, REPORTS_BEFORE, ["h1", "h2", "h3"]), []);
  const m = dashboardModel("dash", after, []);
  assert.deepEqual(
    { tolerated: m.headroom!.tolerated, required: m.headroom!.required },
    viewHeadroom(spec, after),
  );
  assert.equal(m.headroom!.policy, "hostFailures");
  assert.ok(before.headroom!.tolerated > m.headroom!.tolerated, "losing h2 lowers the headroom");
  assert.equal(m.headroom!.ok, m.headroom!.tolerated >= 1);
  const none = dashboardModel("dash", { ...after, spec: undefined }, []);
  assert.equal(none.headroom, undefined);
  assert.match(none.headroomNote!, /no cluster spec/);
  const bad = dashboardModel("dash", { ...after, spec: { version: 7 } }, []);
  assert.match(bad.headroomNote!, /invalid/);
});

test("timeline: newest first, fence and failover lines marked", () => {
  const m = dashboardModel("dash", after, EVENTS_AFTER);
  assert.deepEqual(
    m.timeline.map((e) => e.at),
    EVENTS_AFTER.map((e) => e.at).reverse(),
  );
  assert.deepEqual(
    m.timeline.map((e) => e.kind),
    ["resource", "failover", "fence", "fence"],
  );
  assert.equal(
    timelineKind({
      at: "",
      host: "h1",
      level: "info",
      subject: "host h3",
      message: "status change offline => online",
    }),
    "host",
  );
});

test("no secret of the spec reaches the model, even when an agent's message quotes one", () => {
  assert.deepEqual(secretValues(SPEC), [FENCE_SECRET]);
  const leaky = [
    ...EVENTS_AFTER,
    {
      at: "2026-12-02T10:00:03.000Z",
      host: "h1",
      level: "error",
      subject: "host h2",
      message: `fence_ipmilan -p ${FENCE_SECRET} failed`,
    },
  ];
  const v = {
    ...after,
    manager: {
      ...MANAGER_AFTER,
      hosts: {
        ...MANAGER_AFTER.hosts,
        h2: { state: "fencing" as const, since: 0, reason: `password ${FENCE_SECRET} refused` },
      },
    },
  };
  const text =
    JSON.stringify(dashboardModel("dash", v, leaky)) + pageHtml("dash", dashboardModel("dash", v, leaky));
  assert.ok(!text.includes(FENCE_SECRET), "fence password in the model");
  assert.ok(!text.includes(RESOURCE_SECRET), "resource param in the model");
  assert.ok(!text.includes("10.0.0.2"), "fence params are not copied at all");
  assert.match(text, /fence_ipmilan -p \*\*\* failed/);
});

test("the page embeds the model as inert JSON that cannot close its script block", () => {
  const m = dashboardModel("dash", after, [
    {
      at: "x",
      host: "h1",
      level: "info",
      subject: "resource web",
      message: "</script><script>alert(1)</script>",
    },
  ]);
  const html = pageHtml("dash", m);
  assert.equal(html.match(/<\/script>/g)!.length, 2, "only the page's own two script blocks end");
  assert.ok(!html.includes("<script>alert"));
});

test("--listen: loopback by default; any other address refused without --allow-remote, saying why", () => {
  assert.deepEqual(parseListen("127.0.0.1:8080", false), { host: "127.0.0.1", port: 8080 });
  assert.deepEqual(parseListen("[::1]:0", false), { host: "::1", port: 0 });
  assert.deepEqual(parseListen("localhost:9000", false), { host: "localhost", port: 9000 });
  assert.deepEqual(parseListen("8080", false), { host: "127.0.0.1", port: 8080 });
  assert.throws(
    () => parseListen("0.0.0.0:8080", false),
    /refusing to serve the dashboard on 0\.0\.0\.0.*--allow-remote/,
  );
  assert.throws(() => parseListen("10.1.2.3:8080", false), /--allow-remote/);
  assert.deepEqual(parseListen("0.0.0.0:8080", true), { host: "0.0.0.0", port: 8080 });
  assert.throws(() => parseListen("nonsense", false), /expected host:port/);
  assert.ok(isLoopback("127.0.0.5") && isLoopback("[::1]") && !isLoopback("192.168.0.1"));
});
