// The lab's baseboard management controller: a daemon in the root namespace that can power lab
// hosts off and on, reached over TCP at the management address 10.77.0.1:6230, as a real BMC is
// reached at its own address (lab partitions cut a host off from etcd, not from the BMC).
// Protocol: one request line, one answer line.
//   off <h>     -> "ok" after link down + every process of <h> killed
//   on <h>      -> "ok" after boot (libvirtd answering; agent started if the lab runs agents)
//   status <h>  -> "on" | "off"
//   fail <h> on|off -> make the device fail (every request about <h> answers "error") or work again
//   ping        -> "pong"
import * as net from "node:net";
import { startAgent } from "./lib/agents";
import { BMC_PORT, hostIndex, MGMT_IP } from "./lib/config";
import { powerOff, powerOn, powerState } from "./lib/host";
import { readState } from "./lib/state";

const failing = new Set<string>();

export function handle(line: string): string {
  const [cmd, h, arg] = line.trim().split(/\s+/);
  if (cmd === "ping") return "pong";
  if (!h) return "error missing host";
  try {
    hostIndex(h);
  } catch (err) {
    return `error ${(err as Error).message}`;
  }
  if (cmd === "fail") {
    if (arg === "on") failing.add(h);
    else failing.delete(h);
    return "ok";
  }
  if (failing.has(h)) return `error device of ${h} does not answer (lab: fail ${h} on)`;
  const s = readState();
  if (!s?.hosts.includes(h)) return `error ${h} is not a lab host`;
  if (cmd === "status") return powerState(h);
  if (cmd === "off") {
    powerOff(h);
    return "ok";
  }
  if (cmd === "on") {
    if (powerState(h) === "on") return "ok";
    powerOn(h);
    if (s.agents) startAgent(h, s);
    return "ok";
  }
  return `error unknown command ${cmd}`;
}

function main(): void {
  const server = net.createServer((sock) => {
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      buf += d;
      const i = buf.indexOf("\n");
      if (i < 0) return;
      const answer = handle(buf.slice(0, i));
      sock.end(`${answer}\n`);
    });
    sock.on("error", () => {});
  });
  server.listen(BMC_PORT, MGMT_IP);
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (require.main === module) main();
