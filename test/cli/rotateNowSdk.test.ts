/**
 * The cloud SDKs the incident commands need are optional peer dependencies, loaded only when a stack of
 * that cloud is acted on: without them the command says what to install instead of failing with a stack.
 */
import * as path from "path";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");

afterEach(() => jest.resetModules());

it("rotate-now on AWS without @aws-sdk/client-secrets-manager names the package to install", () => {
  jest.doMock("@aws-sdk/client-secrets-manager", () => {
    throw Object.assign(new Error("Cannot find module '@aws-sdk/client-secrets-manager'"), {
      code: "MODULE_NOT_FOUND",
    });
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { secretsManagerSdk } = require("../../cli/incident/sdk") as typeof import("../../cli/incident/sdk");
  expect(() => secretsManagerSdk("rotate-now on AWS")).toThrow(
    "rotate-now on AWS needs @aws-sdk/client-secrets-manager, an optional peer dependency: npm install @aws-sdk/client-secrets-manager",
  );
});

it("revoke on AWS without @aws-sdk/client-iam (not installed here) exits 1 naming the package, having changed nothing", async () => {
  expect(() => require.resolve("@aws-sdk/client-iam")).toThrow();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runRevoke } = require("../../cli/incident/revoke") as typeof import("../../cli/incident/revoke");
  let stdout = "";
  let stderr = "";
  const code = await runRevoke(["--cwd", ROOT, "--stack", "prod"], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  expect(code).toBe(1);
  expect(stdout).not.toMatch(/ok {3}deny/);
  expect(stderr).toContain(
    "revoke on AWS needs @aws-sdk/client-iam, an optional peer dependency: npm install @aws-sdk/client-iam",
  );
});
