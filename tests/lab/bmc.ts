// The lab's baseboard management controller: a daemon in the root namespace that can power lab
// hosts off and on, reached over TCP at the management address 10.77.0.1:6230, as a real BMC is
// reached at its own address (lab partitions cut a host off from etcd, not from the BMC).
// Protocol: one request line, one answer line.
//   off <h>     -> "ok" after link down + every process of <h> killed
//   on <h>      -> "ok" once power is applied (the host boots on its own: libvirtd, then the agent
//                  if the lab runs agents); `npm run lab -- on` waits for libvirtd itself
//   status <h>  -> "on" | "off"
//   fail <h> on|off -> make the device fail (every request about <h> answers "error") or work again
//   ping        -> "pong"
// `off` and `on` may end with `by=<who>`; every power change is appended to .run/power-events.jsonl
// with who asked: `by=` if given, else "fence:<h>" for a request from lab host <h>'s address (its
// fence agent) or "bmc:<address>" otherwise.
import { execFile } from "node:child_process";
import * as net from "node:net";
import { startAgent } from "./lib/agents";
import { BMC_PORT, hostIndex, hostIp, libvirtUri, MGMT_IP, SUBNET } from "./lib/config";
import { bootHost, powerOff, powerState } from "./lib/host";
import { attach } from "./lib/net";
import { appendPowerEvent } from "./lib/power-log";
import { readState } from "./lib/state";

const failing = new Set<string>();

/** Who sent a request, from its source address (lab hosts are 10.77.0.(10+i)). */
export function requester(addr: string | undefined): string {
  const a = (addr ?? "").replace(/^::ffff:/, "");
  const m = new RegExp(`^${SUBNET.replaceAll(".", "\\.")}\\.(\\d+)$`).exec(a);
  if (m && Number(m[1]) > 10 && Number(m[1]) < 200) return `fence:h${Number(m[1]) - 10}`;
  return `bmc:${a || "?"}`;
}

export function handle(line: string, from?: string): string {
  const words = line.trim().split(/\s+/);
  const byWord = words.find((w) => w.startsWith("by="));
  const by = byWord ? byWord.slice(3) : requester(from);
  const [cmd, h, arg] = words.filter((w) => !w.startsWith("by="));
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
    const at = Date.now();
    const was = powerState(h);
    powerOff(h);
    appendPowerEvent({ at, host: h, action: "off", by, detail: `was ${was}` });
    return "ok";
  }
  if (cmd === "on") {
    if (powerState(h) === "on") return "ok";
    const at = Date.now();
    // Power is applied at once; the host boots on its own, as a real BMC's "on" answers. Waiting
    // here for libvirtd (1-3 s on a loaded machine) kept every other request waiting: a fence
    // agent's next status call, or another host's fence, timed out behind a reboot.
    attach(h, hostIp(h));
    bootHost(h);
    appendPowerEvent({ at, host: h, action: "on", by });
    void finishBoot(h, s.agents);
    return "ok";
  }
  return `error unknown command ${cmd}`;
}

/** Waits for the booted host's libvirtd without blocking the BMC, then starts its agent. */
async function finishBoot(h: string, agents: boolean): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const up = await new Promise<boolean>((resolve) =>
      execFile("virsh", ["-q", "-c", libvirtUri(h), "version"], { timeout: 5000 }, (err) => resolve(!err)),
    );
    if (up) break;
    if (Date.now() - t0 > 30_000 || powerState(h) !== "on") {
      process.stderr.write(`${new Date().toISOString()} on ${h}: libvirtd not answering after boot\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const s = readState();
  if (agents && s && powerState(h) === "on") startAgent(h, s);
}

function main(): void {
  const server = net.createServer((sock) => {
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      buf += d;
      const i = buf.indexOf("\n");
      if (i < 0) return;
      let answer: string;
      try {
        answer = handle(buf.slice(0, i), sock.remoteAddress);
      } catch (err) {
        // A failed boot (e.g. tini slow to appear on a loaded machine) is an answer, not a dead BMC.
        answer = `error ${err instanceof Error ? err.message : String(err)}`;
        process.stderr.write(`${new Date().toISOString()} ${buf.slice(0, i)}: ${answer}\n`);
      }
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
