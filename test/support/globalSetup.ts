/**
 * jest globalSetup: starts the run's one PostgreSQL (test/support/pg-server.mjs) without waiting for it,
 * so initdb overlaps with the workers' start-up; `startPostgres()` in a test file waits until it is
 * ready and gets a database of its own. Workers find it through the environment set here.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PG_ENV, SharedServer, freePort } from "./postgres";

export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airflow-secrets-pg-"));
  // The server may run as `postgres` (when jest runs as root): it must be able to enter this folder.
  fs.chmodSync(dir, 0o755);
  const shared: SharedServer = {
    dir,
    port: await freePort(),
    superuser: "postgres",
    superPassword: `super-${Math.random().toString(36).slice(2)}`,
  };
  const child = spawn(
    process.execPath,
    [path.join(__dirname, "pg-server.mjs"), dir, String(shared.port), shared.superuser, shared.superPassword],
    { stdio: ["pipe", "ignore", "inherit"] },
  );
  // Only the teardown (or this process ending) closes stdin, which stops the server.
  child.unref();
  (globalThis as { __airflowSecretsPg?: unknown }).__airflowSecretsPg = child;
  process.env[PG_ENV] = JSON.stringify(shared);
}
