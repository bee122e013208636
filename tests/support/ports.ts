// A free loopback TCP port for a server started by another process (etcd), which binds it a
// moment later. Picked outside Linux's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999
// by default): a port the kernel handed out by listen(0) and we released is also a candidate for
// the source port of any outgoing connection on the machine, and concurrent tests make many --
// an etcd once failed "bind: address already in use" on one so taken.
import * as net from "node:net";

const LOW = 20000;
const HIGH = 32000;

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free loopback port in ${LOW}-${HIGH} after 200 tries`);
}
