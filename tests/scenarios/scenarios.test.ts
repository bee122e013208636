// Replays every scenario folder under tests/scenarios/ and diffs its log against log.expect.
// Regenerate with `npm run sim -- --rewrite tests/scenarios/<name>` and REVIEW the diff.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { firstDiff, listScenarios, replay } from "../../provider/runtime/sim/scenario";

function sourceRoot(): string {
  // compiled to dist/tests/scenarios/; the folders live in the source tree
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return path.join(dir, "tests", "scenarios");
}

const dirs = listScenarios(sourceRoot());

describe("simulator scenarios", () => {
  it("has at least 30 scenarios, each with a README", () => {
    assert.ok(dirs.length >= 30, `only ${dirs.length} scenarios`);
    for (const d of dirs) assert.ok(fs.existsSync(path.join(d, "README.md")), `${d} has no README.md`);
  });
  for (const dir of dirs) {
    it(path.basename(dir), async () => {
      const o = await replay(dir);
      // a scenario that shows a core bug not fixed yet says so in its README ("expect: violation")
      const readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
      if (/^expect: violation/m.test(readme))
        assert.ok(o.violations.length > 0, `${o.name} no longer fails: drop its marker`);
      else assert.deepEqual(o.violations, [], `invariant violations in ${o.name}`);
      assert.ok(o.expected !== undefined, `${o.name}: no log.expect (run npm run sim -- --rewrite ${dir})`);
      const diff = firstDiff(o.expected, o.log);
      assert.equal(diff, "", `${o.name}: log differs from log.expect\n${diff}`);
    });
  }
});
