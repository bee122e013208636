// fence_vmha_lab: the lab's fence agent, speaking the fence-agents protocol (key=value lines on
// stdin, or -o <action> -n <plug> on the command line). It asks the lab BMC (tests/lab/bmc.ts)
// over its Unix socket. Exit codes as fence-agents: 0 success; for status 0 = on, 2 = off;
// 1 = failure.
import { askBmc as ask } from "./lib/bmc-client";
import { BMC_SOCKET } from "./lib/config";

const METADATA = `<?xml version="1.0" ?>
<resource-agent name="fence_vmha_lab" shortdesc="Fence agent for vmha lab hosts (network namespaces)">
<longdesc>Powers a vmha lab host off like a power loss: its link goes down first, then every process of the host is killed. Talks to the lab BMC over a Unix socket.</longdesc>
<parameters>
  <parameter name="action" unique="0" required="1"><getopt mixed="-o, --action=[action]"/><content type="string" default="reboot"/><shortdesc lang="en">Fencing action</shortdesc></parameter>
  <parameter name="plug" unique="0" required="1"><getopt mixed="-n, --plug=[id]"/><content type="string"/><shortdesc lang="en">Lab host name (h1, h2, ...)</shortdesc></parameter>
  <parameter name="socket" unique="0" required="0"><getopt mixed="--socket=[path]"/><content type="string"/><shortdesc lang="en">BMC socket</shortdesc></parameter>
</parameters>
<actions><action name="on"/><action name="off"/><action name="reboot"/><action name="status"/><action name="monitor"/><action name="list"/><action name="metadata"/></actions>
</resource-agent>
`;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  let s = "";
  for await (const chunk of process.stdin) s += chunk;
  return s;
}

export function parseOptions(stdin: string, argv: readonly string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const line of stdin.split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const i = t.indexOf("=");
    if (i > 0) o[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-o" || a === "--action") o["action"] = argv[++i] ?? "";
    else if (a.startsWith("--action=")) o["action"] = a.slice(9);
    else if (a === "-n" || a === "--plug") o["plug"] = argv[++i] ?? "";
    else if (a.startsWith("--plug=")) o["plug"] = a.slice(7);
    else if (a.startsWith("--socket=")) o["socket"] = a.slice(9);
  }
  if (o["port"] && !o["plug"]) o["plug"] = o["port"];
  return o;
}

async function main(): Promise<number> {
  const o = parseOptions(await readStdin(), process.argv.slice(2));
  const action = o["action"] ?? o["option"] ?? "reboot";
  const socket = o["socket"] ?? BMC_SOCKET;
  const plug = o["plug"];
  if (action === "metadata") {
    process.stdout.write(METADATA);
    return 0;
  }
  if (action === "monitor") return (await ask(socket, "ping")) === "pong" ? 0 : 1;
  if (action === "list") return 0;
  if (!plug) {
    process.stderr.write("fence_vmha_lab: plug is required\n");
    return 1;
  }
  const run = async (cmd: string) => {
    const a = await ask(socket, `${cmd} ${plug}`);
    if (a.startsWith("error")) throw new Error(a);
    return a;
  };
  if (action === "status") {
    const s = await run("status");
    process.stdout.write(`Status: ${s.toUpperCase()}\n`);
    return s === "off" ? 2 : 0;
  }
  if (action === "off" || action === "on") {
    await run(action);
    return 0;
  }
  if (action === "reboot") {
    await run("off");
    await run("on");
    return 0;
  }
  process.stderr.write(`fence_vmha_lab: unsupported action ${action}\n`);
  return 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`fence_vmha_lab: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
