// Output parsing (5.1 enums and dates, single objects vs arrays), error mapping, connection
// config, admission control and the pure read mappings.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { RetryableError, TerminalError } from "../../../provider/core/errors";
import { admit } from "../../../provider/hyperv/admission";
import { connectionFrom, connectionKey } from "../../../provider/hyperv/connection";
import { sameName, sameNames, sameSet } from "../../../provider/hyperv/order";
import { PowerShellError, toError } from "../../../provider/hyperv/ps/errors";
import { list, parseOutput, psDate, psEnum } from "../../../provider/hyperv/ps/parse";
import { raw } from "../../../provider/hyperv/ps/script";
import { sessionSetup } from "../../../provider/hyperv/ps/session-script";
import { vmRoleSchema } from "../../../provider/hyperv/resources/vm-role.schema";
import { daysFrom, liveCau } from "../../../provider/hyperv/scripts/cau";
import {
  type ClusterResult,
  liveNodes,
  liveQuorum,
  validationFailures,
} from "../../../provider/hyperv/scripts/cluster";
import { priorityName } from "../../../provider/hyperv/scripts/vm-role";
import { runScript } from "../../../provider/hyperv/session";

const GiB = 2 ** 30;

describe("parsing PowerShell output", () => {
  it("reads enums written as integers (5.1) or names", () => {
    const s = psEnum(["Up", "Down", "Paused"] as const, { 0: "Up", 1: "Down", 2: "Paused" });
    assert.equal(s.parse(2), "Paused");
    assert.equal(s.parse("down"), "Down");
    assert.equal(s.safeParse(9).success, false);
  });

  it("reads dates as /Date(ms)/ (5.1, with or without offset) or ISO (7)", () => {
    assert.equal(psDate.parse("/Date(1764558000000)/").toISOString(), "2025-12-01T03:00:00.000Z");
    assert.equal(psDate.parse("/Date(1764558000000+0100)/").getTime(), 1764558000000);
    assert.equal(psDate.parse("2025-12-01T03:00:00Z").getTime(), 1764558000000);
  });

  it("treats one object, an array and null alike as a list", () => {
    const s = list(z.string());
    assert.deepEqual(s.parse("a"), ["a"]);
    assert.deepEqual(s.parse(["a", "b"]), ["a", "b"]);
    assert.deepEqual(s.parse(null), []);
  });

  it("takes the last line of stdout and names the operation on bad output", () => {
    assert.deepEqual(parseOutput("x", 'WARNING: something\n{"a":1}\n', z.object({ a: z.number() })), {
      a: 1,
    });
    assert.throws(
      () => parseOutput("read cluster 'C'", "Name State\n---- -----", z.object({})),
      /read cluster 'C': PowerShell printed "---- -----"; expected JSON/,
    );
    assert.throws(() => parseOutput("read cluster 'C'", "", z.object({})), /printed nothing/);
    assert.throws(
      () => parseOutput("q", '{"a":"x"}', z.object({ a: z.number() })),
      /unexpected result from PowerShell \(a: /,
    );
  });
});

describe("PowerShell errors", () => {
  const report = (o: Record<string, string>) => `${JSON.stringify({ vmhaError: true, ...o })}\n`;
  it("names the operation, the cmdlet, the object and the error id", () => {
    const e = toError(
      "create cluster 'C'",
      report({
        command: "New-Cluster",
        message: "The name is in use.",
        id: "ResourceExists,New-Cluster",
        category: "ResourceExists",
        target: "C",
      }),
    );
    assert.ok(e instanceof PowerShellError && e instanceof TerminalError);
    assert.equal(
      e.message,
      "create cluster 'C': New-Cluster failed for 'C': The name is in use. [ResourceExists,New-Cluster]",
    );
    assert.equal((e as PowerShellError).notFound, false);
  });
  it("marks missing objects, transient connection errors and bad credentials", () => {
    assert.equal((toError("r", report({ category: "ObjectNotFound" })) as PowerShellError).notFound, true);
    assert.ok(
      toError(
        "r",
        report({ message: "WinRM cannot complete the operation", category: "OpenError" }),
      ) instanceof RetryableError,
    );
    assert.match(
      toError("r", report({ message: "Access is denied.", category: "OpenError" })).message,
      /check vmha:hypervUserName/,
    );
    assert.ok(toError("r", "wsfc-sim: refused: x") instanceof TerminalError);
  });
});

describe("connection config", () => {
  const cfg = (o: Record<string, string>) => ({ get: (k: string) => o[k] });
  it("defaults to a local pwsh and reads remoting settings", () => {
    assert.deepEqual(connectionFrom(cfg({}), {}).shell, process.platform === "win32" ? "powershell" : "pwsh");
    const c = connectionFrom(
      cfg({ "vmha:hypervComputerName": "HV1", "vmha:hypervUserName": "CONTOSO\\admin" }),
      { VMHA_HYPERV_PASSWORD: "pw" },
    );
    assert.equal(c.password, "pw");
    assert.ok(!connectionKey(c).includes('pw"'), "the session key must not hold the password");
  });
  it("refuses contradictory settings", () => {
    assert.throws(
      () => connectionFrom(cfg({ "vmha:hypervShell": "bash" }), {}),
      /must be "pwsh" or "powershell"/,
    );
    assert.throws(
      () => connectionFrom(cfg({ "vmha:hypervComputerName": "a", "vmha:hypervHostName": "b" }), {}),
      /only one of/,
    );
  });
  it("reads vmha:hypervUseSsl / VMHA_HYPERV_USE_SSL as true/false, 1/0, yes/no in any case (finding 16)", () => {
    const ssl = (v: string, env: Record<string, string> = {}) =>
      connectionFrom(cfg({ "vmha:hypervComputerName": "HV1", "vmha:hypervUseSsl": v }), env).useSsl;
    for (const v of ["true", "True", "TRUE", "1", "yes", "Yes"]) assert.equal(ssl(v), true, v);
    for (const v of ["false", "False", "0", "no", "NO"]) assert.equal(ssl(v), false, v);
    assert.equal(ssl(""), false, "unset means WinRM over HTTP, as before");
    assert.equal(
      ssl("", { VMHA_HYPERV_USE_SSL: "True" }),
      true,
      "the environment variable when config is unset",
    );
    assert.equal(ssl("no", { VMHA_HYPERV_USE_SSL: "yes" }), false, "stack config wins");
  });
  it("refuses any other useSsl value, naming the config key and the environment variable (finding 16)", () => {
    for (const [config, env] of [
      [{ "vmha:hypervUseSsl": "ture" }, {}],
      [{}, { VMHA_HYPERV_USE_SSL: "on" }],
    ] as const) {
      assert.throws(
        () => connectionFrom(cfg({ "vmha:hypervComputerName": "HV1", ...config }), env),
        (e: unknown) =>
          e instanceof TerminalError &&
          e.message.includes("vmha:hypervUseSsl") &&
          e.message.includes("VMHA_HYPERV_USE_SSL") &&
          /must be true or false/.test(e.message),
      );
    }
  });
  it("refuses a password with SSH remoting instead of ignoring it, without showing it (finding 16)", () => {
    for (const [config, env] of [
      [{ "vmha:hypervPassword": "s3cret!" }, {}],
      [{}, { VMHA_HYPERV_PASSWORD: "s3cret!" }],
    ] as const) {
      assert.throws(
        () =>
          connectionFrom(
            cfg({ "vmha:hypervHostName": "hv1.contoso.local", "vmha:hypervUserName": "admin", ...config }),
            env,
          ),
        (e: unknown) =>
          e instanceof TerminalError &&
          /vmha:hypervPassword \(or VMHA_HYPERV_PASSWORD\) is set, but SSH remoting \(vmha:hypervHostName\)/.test(
            e.message,
          ) &&
          /key/.test(e.message) &&
          !e.message.includes("s3cret"),
      );
    }
    const ok = connectionFrom(cfg({ "vmha:hypervHostName": "hv1", "vmha:hypervUserName": "admin" }), {});
    assert.equal(ok.hostName, "hv1");
  });
  it("never puts the password in the session set-up script: the shell reads it from its environment (finding 15)", () => {
    const s = sessionSetup({
      shell: "pwsh",
      computerName: "HV1",
      userName: "u",
      password: "p'w",
      useSsl: false,
    });
    assert.match(
      s,
      /New-PSSession -ComputerName 'HV1' -Credential \(New-Object -TypeName 'System.Management.Automation.PSCredential' -ArgumentList 'u', \(ConvertTo-SecureString -String \$env:VMHA_PS_PASSWORD -AsPlainText -Force\)\)/,
    );
    assert.ok(!s.includes("p'w") && !s.includes("p''w"), s);
  });
});

describe("admission control", () => {
  const hosts = [
    { name: "HV1", bytes: 64 * GiB },
    { name: "HV2", bytes: 32 * GiB },
    { name: "HV3", bytes: 32 * GiB },
  ];
  it("admits what fits after losing the largest nodes", () => {
    const a = admit({
      cluster: "C",
      failuresToTolerate: 1,
      hosts,
      vms: [{ name: "a", bytes: 40 * GiB }],
      candidate: { name: "b", bytes: 24 * GiB },
    });
    assert.deepEqual(a, {
      ok: true,
      sentence: "2 VM role(s) need 65536 MiB; after 1 node failure(s) 65536 MiB remain",
    });
  });
  it("refuses with the numbers, naming the nodes assumed lost", () => {
    const a = admit({
      cluster: "C",
      failuresToTolerate: 1,
      hosts,
      vms: [{ name: "a", bytes: 40 * GiB }],
      candidate: { name: "b", bytes: 25 * GiB },
    });
    assert.equal(a.ok, false);
    assert.equal(
      !a.ok && a.reason,
      "admission control refuses VM 'b' (25600 MiB): the 2 VM role(s) of cluster C need 66560 MiB, but after 1 node failure(s) (losing HV1 with 65536 MiB) the remaining 2 node(s) offer 65536 MiB",
    );
  });
  it("refuses tolerating as many failures as there are nodes", () => {
    assert.equal(admit({ cluster: "C", failuresToTolerate: 3, hosts, vms: [] }).ok, false);
  });
});

describe("read mappings", () => {
  const base: ClusterResult = {
    cluster: {
      Name: "C",
      Id: "1",
      SameSubnetDelay: 1000,
      SameSubnetThreshold: 10,
      CrossSubnetDelay: 1000,
      CrossSubnetThreshold: 20,
    },
    nodes: [
      { Name: "HV1", State: "Paused" },
      { Name: "HV2", State: "Down" },
      { Name: "HV3", State: "Up" },
    ],
    witnessName: undefined,
    witnessType: undefined,
    witnessParams: [],
  };
  it("keeps Paused and Down nodes as members, in the user's order; joined nodes are drift", () => {
    assert.deepEqual(liveNodes(base, ["hv3.contoso.local", "HV1", "HV2"]), [
      "hv3.contoso.local",
      "HV1",
      "HV2",
    ]);
    assert.deepEqual(liveNodes(base, ["HV1", "HV2"]), ["HV1", "HV2", "HV3"]);
  });
  it("maps witnesses back to the input's terms", () => {
    assert.deepEqual(liveQuorum(base), { type: "none" });
    const cloud = {
      ...base,
      witnessName: "Cloud Witness",
      witnessType: "Cloud Witness",
      witnessParams: [
        { Name: "AccountName", Value: "acct" },
        { Name: "EndpointInfo", Value: "core.windows.net" },
      ],
    };
    assert.deepEqual(liveQuorum(cloud, { type: "cloud", accountName: "acct" }), {
      type: "cloud",
      accountName: "acct",
    });
  });
  it("classifies Test-Cluster warnings: failed tests refuse, warnings do not", () => {
    assert.deepEqual(
      validationFailures([
        "Network - Validate IP Configuration: The test reported some warnings..",
        "Storage - Validate Disk Failover: The test failed.",
        "Test Result:\r\nClusterNotApproved\r\nTesting has completed.",
      ]),
      [
        "Storage - Validate Disk Failover: The test failed.",
        "Test Result: ClusterNotApproved Testing has completed.",
      ],
    );
  });
  it("reads CAU day flags (5.1) and names, and /Date()/ start dates", () => {
    assert.deepEqual(daysFrom(4 | 64), ["Tuesday", "Saturday"]);
    assert.deepEqual(daysFrom("Tuesday, Saturday"), ["Tuesday", "Saturday"]);
    const live = liveCau([
      { Name: "StartDate", Value: "/Date(1764558000000)/" },
      { Name: "WeeksOfMonth", Value: 2 },
    ]);
    assert.equal(live.startDate?.toISOString(), "2025-12-01T03:00:00.000Z");
    assert.deepEqual(live.weeksOfMonth, [2]);
  });
});

describe("secrets a process environment cannot carry (repro t5, the path that remained)", () => {
  it("a NUL in the password or a secret fails naming where it came from, never quoting it, before any shell starts", async () => {
    const remote = { shell: "pwsh" as const, computerName: "HV1", userName: "CORP\\svc", useSsl: false };
    await assert.rejects(
      runScript({ ...remote, password: "Hunter2\u0000Zq9x" }, raw("$null"), "probe"),
      (e: unknown) => {
        assert.ok(e instanceof TerminalError, String(e));
        assert.match(
          e.message,
          /vmha:hypervPassword \(or VMHA_HYPERV_PASSWORD\) holds a NUL character, .*value not shown/,
        );
        assert.ok(!e.message.includes("Hunter2") && !e.message.includes("Zq9x"), e.message);
        return true;
      },
    );
    await assert.rejects(
      runScript({ shell: "pwsh", useSsl: false }, raw("$null"), "probe", undefined, {
        witnessKey: "k3y\u0000s3cret",
      }),
      (e: unknown) =>
        e instanceof TerminalError &&
        /the secret witnessKey holds a NUL character/.test(e.message) &&
        !e.message.includes("s3cret"),
    );
  });
});

describe("unknown live values", () => {
  it("a priority vmha does not name reads as unknown:<n>, not Medium (finding 16)", () => {
    assert.equal(priorityName(2000), "Medium");
    assert.equal(priorityName(0), "NoAutoStart");
    assert.equal(priorityName(2500), "unknown:2500");
    assert.equal(
      vmRoleSchema.inputs.safeParse({ cluster: "C", vmName: "VM1", priority: priorityName(2500) }).success,
      false,
      "no input holds it: it always shows as drift",
    );
  });
});

describe("live order and case", () => {
  it("keeps the stored order when the live list holds the same items", () => {
    assert.deepEqual(sameSet(["Sunday", "Saturday"], ["Saturday", "Sunday"]), ["Saturday", "Sunday"]);
    assert.deepEqual(sameSet(["w3svc"], ["W3SVC"]), ["W3SVC"]);
    assert.deepEqual(sameSet(["Sunday"], ["Saturday", "Sunday"]), ["Sunday"]);
    assert.deepEqual(sameSet([{ a: 1 }, { a: 2 }], [{ a: 2 }, { a: 1 }]), [{ a: 2 }, { a: 1 }]);
  });
  it("keeps order where it matters (preferred owners) and only forgives case", () => {
    assert.deepEqual(sameNames(["HV1", "HV2"], ["hv1", "hv2"]), ["hv1", "hv2"]);
    assert.deepEqual(sameNames(["HV2", "HV1"], ["HV1", "HV2"]), ["HV2", "HV1"]);
    assert.equal(sameName("HV-CLUSTER", "hv-cluster"), "hv-cluster");
  });
});
