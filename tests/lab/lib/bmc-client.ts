// Client of the lab BMC (tests/lab/bmc.ts): one request line, one answer line, over TCP.
import * as net from "node:net";

import { BMC_PORT, MGMT_IP } from "./config";

export function askBmc(line: string, timeoutMs = 10000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = `${MGMT_IP}:${BMC_PORT}`;
    const c = net.createConnection(BMC_PORT, MGMT_IP);
    let out = "";
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`BMC ${socket} did not answer "${line}" within ${timeoutMs} ms`));
    }, timeoutMs);
    c.setEncoding("utf8");
    c.on("connect", () => c.write(`${line}\n`));
    c.on("data", (d: string) => {
      out += d;
    });
    c.on("end", () => {
      clearTimeout(t);
      resolve(out.trim());
    });
    c.on("error", (err) => {
      clearTimeout(t);
      reject(err);
    });
  });
}
