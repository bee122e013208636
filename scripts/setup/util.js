"use strict";
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");

function log(msg) {
  process.stderr.write(`${msg}\n`);
}

/** Runs a command, streaming its output with a prefix, and throws naming the command on failure. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    const tail = [];
    const onData = (buf) => {
      for (const line of buf.toString().split("\n")) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (!opts.quiet) log(`  ${line}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}:\n${tail.join("\n")}`));
    });
  });
}

/** Prints a dot-free heartbeat so long silent steps (go build) still show progress. */
function heartbeat(label, everyMs = 20000) {
  const t0 = Date.now();
  const timer = setInterval(
    () => log(`  ${label}: still working (${Math.round((Date.now() - t0) / 1000)} s)`),
    everyMs,
  );
  return () => clearInterval(timer);
}

function have(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function exists(p) {
  return fs.existsSync(p);
}

module.exports = { log, run, heartbeat, have, exists };
