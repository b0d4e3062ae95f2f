/**
 * The env backend's Kubernetes Secret must fit in 1 MiB (etcd's object limit). A stack file over it
 * is refused by `synth --config-file` before anything is registered, at the field holding the most,
 * with no trace and no value; a file exactly at the limit is accepted.
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

/** Values that, with their variable names, fill the Secret to `total` bytes. */
function valuesTotalling(total: number): string[] {
  const names = "AIRFLOW_VAR_V0".length + "AIRFLOW_VAR_V1".length;
  const first = Math.floor((total - names) / 2);
  return [MARKER + "x".repeat(first - MARKER.length), "y".repeat(total - names - first)];
}

test("a Secret over 1 MiB is refused at its largest entry, naming the limit, without a value or a trace", async () => {
  const outcome = await synthInProcess(stackFile(valuesTotalling(SECRET_MAX_BYTES + 1)));
  const output = outcome.stdout + outcome.stderr;
  expect(outcome.status).toBe(1);
  expect(outcome.stdout).toBe("");
  expect(STACK_TRACE.test(output)).toBe(false);
  expect(output).not.toContain(MARKER);
  expect(outcome.stderr).toMatch(
    /variables\[v1\]\.value: the env backend's Kubernetes Secret would hold at least 1048577 bytes .*Kubernetes allows 1048576 \(1 MiB\)/,
  );
});

test("a Secret of exactly 1 MiB is accepted", async () => {
  const outcome = await synthInProcess(stackFile(valuesTotalling(SECRET_MAX_BYTES)));
  expect({ status: outcome.status, stderr: outcome.stderr }).toEqual({ status: 0, stderr: "" });
  expect(outcome.stdout).toMatch(/^Stack /);
  expect(outcome.stdout).toContain("kubernetes:core/v1:Secret");
});
