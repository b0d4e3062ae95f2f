/**
 * Every shipped stack's `helmValues` output (what `synth` prints for the chart) passes the official
 * chart's schema, for every backend and for Airflow 2 and 3, and wires what that backend needs.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv from "ajv";
import { parse, stringify } from "yaml";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";
import { SHIPPED_STACK_FILES as SHIPPED } from "../support/shippedStacks";

const REPO = path.resolve(__dirname, "../..");
const CHART = path.resolve(REPO, "../shared/airflow-helm-chart");
const present = fs.existsSync(path.join(CHART, "values.schema.json"));

/** The stack file with `airflow.version` set to `version`, written beside the original. */
function withVersion(file: string, version: string): string {
  const doc = parse(fs.readFileSync(path.join(REPO, file), "utf8")) as {
    config: Record<string, { version: string }>;
  };
  doc.config["airflow-secrets:airflow"] = { ...doc.config["airflow-secrets:airflow"], version };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-"));
  const out = path.join(dir, path.basename(file));
  fs.writeFileSync(out, stringify(doc));
  return out;
}

const cases = SHIPPED.flatMap((file) => ["2.11", "3.1"].map((version) => ({ file, version })));

(present ? describe : describe.skip)("helmValues of the shipped stacks", () => {
  // Compiled in beforeAll: a skipped describe still runs its body, and the chart is absent outside this workspace.
  let validate: ReturnType<Ajv["compile"]>;
  beforeAll(() => {
    validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(
      JSON.parse(fs.readFileSync(path.join(CHART, "values.schema.json"), "utf8")),
    );
  });

  test.each(cases)("$file on Airflow $version", async ({ file, version }) => {
    const configFile = withVersion(file, version);
    const { result } = await synthFromArgs(parseSynthArgs(["--config-file", configFile, "--cwd", REPO]));
    const values = result.outputs.helmValues as Record<string, unknown>;
    expect(values).toBeDefined();
    expect(validate(values) ? [] : validate.errors).toEqual([]);
    expect(values[version.startsWith("2.") ? "webserver" : "apiServer"]).toBeDefined();
    const envFrom = parse(values.extraEnvFrom as string) as Record<string, { name: string }>[];
    expect(envFrom[0].configMapRef.name).toBe(result.outputs.configMap);
    if (result.outputs.backend === "env")
      expect(envFrom[1]?.secretRef?.name).toBe(result.outputs.envSecretName);
    else expect(envFrom).toHaveLength(1);
  });
});
