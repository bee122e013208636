// The decision core must stay pure (DESIGN.md principle 1): no etcd, libvirt, child
// processes, timers, clocks, randomness or IO in provider/runtime/core/. This scans the
// sources, so a forbidden import fails `npm test` even if no test exercises that path.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { it } from "node:test";

function root(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return dir;
}

const CORE = path.join(root(), "provider", "runtime", "core");
const ALLOWED_IMPORTS = new Set(["zod", "../env"]);
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bDate\s*[.(]/, "Date"],
  [/\bnew\s+Date\b/, "new Date"],
  [/\bMath\.random\b/, "Math.random"],
  [/\bperformance\./, "performance"],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, "timers"],
  [/\bprocess\.(env|hrtime|nextTick|exit|argv)/, "process"],
  [/\brequire\s*\(/, "require()"],
  [/\bimport\s*\(/, "dynamic import()"],
  [/\bfetch\s*\(/, "fetch"],
  [/\bcrypto\./, "crypto"],
];

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

const files = fs.readdirSync(CORE).filter((f) => f.endsWith(".ts"));

it("the core has source files to check", () => {
  assert.ok(files.includes("decide.ts") && files.length >= 10, `found ${files.join(", ")}`);
});

for (const f of files) {
  it(`core/${f} imports only pure modules and uses no clock, timer, randomness or IO`, () => {
    const src = stripComments(fs.readFileSync(path.join(CORE, f), "utf8"));
    for (const m of src.matchAll(/\bfrom\s+"([^"]+)"/g)) {
      const spec = m[1]!;
      const ok = spec.startsWith("./") || ALLOWED_IMPORTS.has(spec);
      assert.ok(ok, `${f} imports "${spec}" (allowed: ./*, ${[...ALLOWED_IMPORTS].join(", ")})`);
    }
    for (const [re, what] of FORBIDDEN) assert.ok(!re.test(src), `${f} uses ${what}`);
  });
}

it("the purity check itself catches a forbidden import and Date.now()", () => {
  const bad = stripComments('import { Etcd3 } from "etcd3";\nconst t = Date.now();');
  assert.ok([...bad.matchAll(/\bfrom\s+"([^"]+)"/g)].some((m) => !ALLOWED_IMPORTS.has(m[1]!)));
  assert.ok(FORBIDDEN.some(([re]) => re.test(bad)));
});
