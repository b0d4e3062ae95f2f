/**
 * CI trusts `npm test`'s exit status. The run's global PostgreSQL setup and teardown once let Node end
 * jest with status 0 while a test had failed (teardown awaited an unref'd child): run jest with this
 * repository's own config over a test that fails, and require a non-zero status.
 */
import { spawnSync } from "child_process";
import * as path from "path";

const root = path.resolve(__dirname, "..", "..");

it("a failing test makes the run exit non-zero, with the project's global setup and teardown", () => {
  const run = spawnSync(
    process.execPath,
    [
      path.join(root, "node_modules", "jest", "bin", "jest.js"),
      "--config",
      path.join(root, "jest.config.js"),
      "--testMatch",
      "**/fixtures/jest-exit/fails.spec.ts",
      "--maxWorkers",
      "1",
    ],
    { cwd: root, encoding: "utf8", timeout: 120_000 },
  );
  expect(run.stderr).toContain("fails on purpose");
  expect(run.status).toBe(1);
}, 150_000);
