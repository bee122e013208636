// `npm run demo`: the main job. Brings the local lab up (3 KVM hosts as network namespaces, etcd,
// vmha-agent on each), runs `pulumi up` of the quickstart (the root Pulumi.yaml), shows
// `vmha status`, runs a failover drill and prints the measured recovery. Leaves the lab running
// with the next commands to try; with --non-interactive it tears everything down and exits
// non-zero on any failure. `npm run setup` (run first by `npm run demo`) installed everything.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { etcdEndpoints, hostIp } from "../tests/lab/lib/config";
import { FENCE_AGENT, LAB_FENCE_PARAMS } from "../tests/lab/lib/spec";
import { requireState } from "../tests/lab/lib/state";

const ROOT = path.resolve(__dirname, "..", "..");
const STACK = process.env.VMHA_DEMO_STACK ?? "quickstart";
const { pulumiEnv } = require(path.join(ROOT, "scripts", "lib-env.js")) as {
  pulumiEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
};

const nonInteractive = process.argv.includes("--non-interactive") || process.env.CI === "true";
const env = pulumiEnv();
const node = process.execPath;
const lab = path.join(ROOT, "dist", "tests", "lab", "cli.js");
const vmha = path.join(ROOT, "dist", "provider", "runtime", "cli", "vmha.js");

function step(title: string): void {
  process.stdout.write(`\n=== ${title}\n`);
}

function run(cmd: string, args: string[], opts: { capture?: boolean; allowFail?: boolean } = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    env,
    stdio: opts.capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
  });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${path.basename(cmd)} ${args.join(" ")} exited with ${r.status ?? r.signal}`);
  }
  return r.stdout ?? "";
}

const pulumi = (...args: string[]) => run("pulumi", [...args, "--stack", STACK]);

function main(): void {
  const t0 = Date.now();
  step("1/5 local lab: 3 KVM hosts (network namespaces, one libvirtd each), etcd, vmha-agent per host");
  run(node, [lab, "up", "--no-spec"]);
  const state = requireState();
  const etcd = etcdEndpoints(state.etcd).join(",");
  const cli = ["--etcd", etcd, "--cluster", state.cluster];

  step("2/5 pulumi up of the quickstart (Pulumi.yaml -> examples/quickstart)");
  run("pulumi", ["stack", "select", "--create", STACK]);
  pulumi("config", "set", "etcdEndpoints", etcd);
  pulumi("config", "set", "clusterName", state.cluster);
  pulumi("config", "set", "hosts", state.hosts.join(","));
  pulumi(
    "config",
    "set",
    "hostAddresses",
    JSON.stringify(Object.fromEntries(state.hosts.map((h) => [h, hostIp(h)]))),
  );
  pulumi("config", "set", "domainType", state.kvm ? "kvm" : "qemu");
  pulumi("config", "set", "fenceAgent", FENCE_AGENT);
  pulumi("config", "set", "fenceParams", JSON.stringify(LAB_FENCE_PARAMS));
  if (!state.kvm) process.stdout.write("note: /dev/kvm is not usable here; VMs run under QEMU's TCG\n");
  pulumi("up", "--yes", "--skip-preview");

  step("3/5 vmha status");
  run(node, [vmha, ...cli, "status"]);

  step("4/5 failover drill: power off the host running `web` through its fence device");
  const placement = JSON.parse(
    run("pulumi", ["stack", "output", "placement", "--json", "--stack", STACK], { capture: true }),
  ) as {
    web?: string;
  };
  if (!placement.web) throw new Error("the quickstart's outputs do not say where web runs");
  run(node, [vmha, ...cli, "drill", "--host", placement.web, "--limit", "30"]);

  step("5/5 after the drill");
  run(node, [vmha, ...cli, "status"]);
  process.stdout.write(`\ndemo finished in ${Math.round((Date.now() - t0) / 1000)} s\n`);
}

function teardown(): boolean {
  step("tear down (--non-interactive)");
  const destroyed = spawnSync("pulumi", ["destroy", "--yes", "--skip-preview", "--stack", STACK], {
    cwd: ROOT,
    env,
    stdio: "inherit",
  });
  spawnSync("pulumi", ["stack", "rm", "--yes", "--force", STACK], { cwd: ROOT, env, stdio: "inherit" });
  const down = spawnSync(node, [lab, "down"], { cwd: ROOT, env, stdio: "inherit" });
  return destroyed.status === 0 && down.status === 0;
}

let failed = false;
try {
  main();
} catch (err) {
  failed = true;
  process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
}
if (nonInteractive) {
  if (!teardown()) failed = true;
} else {
  process.stdout.write(
    [
      "",
      "The lab is still running. Next:",
      `  npm run vmha -- --etcd ${requireStateSafe()} status     # hosts, primary, resources`,
      "  npm run lab -- kill h2                     # power a host off and watch (vmha events --follow)",
      "  npm run pulumi -- up --stack quickstart    # change examples/quickstart and apply",
      "  npm run drift -- --stack quickstart        # drift check (exit 7 on drift)",
      "  npm run lab -- down                        # stop everything",
      "",
    ].join("\n"),
  );
}
process.exitCode = failed ? 1 : 0;

function requireStateSafe(): string {
  try {
    const s = requireState();
    return `${etcdEndpoints(s.etcd).join(",")} --cluster ${s.cluster}`;
  } catch {
    return "<etcd> --cluster lab";
  }
}
