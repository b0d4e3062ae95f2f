/** Shared by the rotation tests: roles on the test Postgres and connection secrets for them. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { acceptsLogin, type TestPostgres } from "../support/postgres";
import type { AirflowConnectionJson } from "../../components/rotation/internal";

// Role helpers belong to the test server; the rotation tests and benchmark take them from here.
export { connectionJson, createLoginRole, randomPassword, uniqueRole } from "../support/postgres";

/** Whether the connection's login and password are accepted right now. */
export function canLogIn(pg: TestPostgres, json: AirflowConnectionJson): Promise<boolean> {
  return acceptsLogin(pg, String(json.login), String(json.password), String(json.schema ?? "postgres"));
}

/**
 * A temp directory laid out like a Lambda task root: `index.js` holding the bundle, and only
 * `@aws-sdk` resolvable (as the Node.js runtime provides it). The caller removes it.
 */
export function lambdaLikeDirectory(bundle: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rotation-bundle-"));
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(
    path.resolve(__dirname, "../../node_modules/@aws-sdk"),
    path.join(dir, "node_modules", "@aws-sdk"),
  );
  fs.writeFileSync(path.join(dir, "index.js"), bundle);
  return dir;
}
