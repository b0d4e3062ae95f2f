/**
 * Each of the env backend's Kubernetes Secrets must fit in 1 MiB (the API server's limit). Values
 * beyond it are spread over more Secrets; a value that cannot fit one with its variable name is
 * refused by `synth --config-file` before anything is registered, at its field, with no trace and no
 * value.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SECRET_MAX_BYTES } from "../../components/env/backend";
import { STACK_TRACE, synthInProcess } from "./corpus";

jest.setTimeout(300_000);

const MARKER = "hunter2-MARKER-size-8e41";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secret-size-"));

/** An env stack file whose variables v0, v1… hold the given values. */
function stackFile(values: string[]): string {
  const variables = values.map((value, i) => `    - key: v${i}\n      value: "${value}"\n`).join("");
  const file = path.join(dir, `Pulumi.size-${values.map((v) => v.length).join("-")}.yaml`);
  fs.writeFileSync(
    file,
    `config:
  airflow-secrets:environment: dev
  airflow-secrets:backend: env
  airflow-secrets:airflow:
    version: "2.10"
  airflow-secrets:kubernetes:
    namespace: airflow-dev
    serviceAccount: airflow
  airflow-secrets:variables:
${variables}`,
  );
  return file;
}

/** Values that, with their variable names, total `total` bytes. */
function valuesTotalling(total: number): string[] {
  const names = "AIRFLOW_VAR_V0".length + "AIRFLOW_VAR_V1".length;
  const first = Math.floor((total - names) / 2);
  return [MARKER + "x".repeat(first - MARKER.length), "y".repeat(total - names - first)];
}

const SECRET = "kubernetes:core/v1:Secret";

test("a value that cannot fit one Secret with its name is refused at its field, without the value or a trace", async () => {
  // Within the contract's 1 MiB per value, over Kubernetes' 1 MiB per Secret with the variable's name.
  const outcome = await synthInProcess(
    stackFile([MARKER + "x".repeat(SECRET_MAX_BYTES - MARKER.length - 4)]),
  );
  const output = outcome.stdout + outcome.stderr;
  expect(outcome.status).toBe(1);
  expect(outcome.stdout).toBe("");
  expect(STACK_TRACE.test(output)).toBe(false);
  expect(output).not.toContain(MARKER);
  expect(outcome.stderr).toMatch(
    /variables\[v0\]\.value: holds 1048586 bytes with its variable name; one Kubernetes Secret allows 1048576 \(1 MiB\)/,
  );
});

test("exactly 1 MiB stays in one Secret; one byte more is split over two", async () => {
  const one = await synthInProcess(stackFile(valuesTotalling(SECRET_MAX_BYTES)));
  expect({ status: one.status, stderr: one.stderr }).toEqual({ status: 0, stderr: "" });
  expect(one.stdout.split(SECRET).length - 1).toBe(1);
  const two = await synthInProcess(stackFile(valuesTotalling(SECRET_MAX_BYTES + 1)));
  expect({ status: two.status, stderr: two.stderr }).toEqual({ status: 0, stderr: "" });
  expect(two.stdout.split(SECRET).length - 1).toBe(2);
  expect(two.stdout).not.toContain(MARKER);
});
