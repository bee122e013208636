// `vmha status` formatting: pure, from one StoreView.
import assert from "node:assert/strict";
import { test } from "node:test";
import { clusterStatus, formatStatus } from "../../../provider/runtime/cli/status";
import type { StoreView } from "../../../provider/runtime/env";

const view: StoreView = {
  revision: 42,
  spec: { hosts: { h1: {}, h2: {} }, resources: { web: {}, db: {} } },
  specRevision: 3,
  manager: {
    version: 1,
    specRevision: 3,
    seq: 4,
    handledRequests: [],
    hosts: {
      h1: { state: "online", since: 0 },
      h2: { state: "fenced", since: 1000, reason: "fence device confirmed off" },
    },
    resources: {
      web: { state: "started", since: 0, node: "h1", epoch: 3, relocations: 0, admitted: true, specKey: "a" },
      db: { state: "recovering", since: 0, epoch: 2, relocations: 0, admitted: true, specKey: "b" },
    },
  },
  managerRevision: 40,
  leases: ["h1"],
  primary: "h1",
  reports: {
    h1: {
      host: "h1",
      at: 5,
      managerRevision: 40,
      listed: true,
      busy: [],
      running: ["web"],
      failed: { db: { epoch: 1, op: "start", reason: "boom" } },
    },
  },
  maintenance: [],
  migrateRequests: [],
};

test("status names the primary, each host's state and lease, where each resource runs, failures", () => {
  const s = clusterStatus("prod", view, [
    {
      at: "2026-01-01T00:00:01.000Z",
      host: "h1",
      subject: "host h2",
      message: "status change fencing => fenced",
      level: "info",
    },
  ]);
  const text = formatStatus(s);
  assert.match(text, /^Cluster prod \(store revision 42\)/);
  assert.match(text, /Primary: h1/);
  assert.match(text, /h1\s+online\s+lease ok\s+runs web/);
  assert.match(text, /h2\s+fenced\s+no lease/);
  assert.match(text, /web\s+started\s+on h1/);
  assert.match(text, /db\s+recovering\s+not running/);
  assert.match(text, /db on h1: start failed: boom/);
  assert.match(text, /host h2: status change fencing => fenced/);
});

test("a resource reported by two hosts is shown loudly", () => {
  const two = {
    ...view,
    reports: {
      ...view.reports,
      h2: { host: "h2", at: 5, managerRevision: 40, listed: true, busy: [], running: ["web"], failed: {} },
    },
  };
  assert.match(formatStatus(clusterStatus("prod", two, [])), /RUNNING ON h1 AND h2/);
});
