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
function withVersion(file: string, version: string, kubernetes?: Record<string, unknown>): string {
  const doc = parse(fs.readFileSync(path.join(REPO, file), "utf8")) as {
    config: Record<string, { version: string }>;
  };
  doc.config["airflow-secrets:airflow"] = { ...doc.config["airflow-secrets:airflow"], version };
  if (kubernetes !== undefined)
    doc.config["airflow-secrets:kubernetes"] = {
      namespace: (doc.config["airflow-secrets:kubernetes"] as unknown as { namespace: string }).namespace,
      ...kubernetes,
    } as never;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-"));
  const out = path.join(dir, path.basename(file));
  fs.writeFileSync(out, stringify(doc));
  return out;
}

/** Stacks on Kubernetes: a `kubernetes: false` stack (MWAA) has no Helm values by design. */
const ON_KUBERNETES = SHIPPED.filter(
  (file) =>
    (parse(fs.readFileSync(path.join(REPO, file), "utf8")) as { config: Record<string, unknown> }).config[
      "airflow-secrets:kubernetes"
    ] !== false,
);
const cases = ON_KUBERNETES.flatMap((file) => ["2.11", "3.1"].map((version) => ({ file, version })));

(present ? describe : describe.skip)("helmValues of the shipped stacks", () => {
  // Compiled in beforeAll: a skipped describe still runs its body, and the chart is absent outside this workspace.
  let validate: ReturnType<Ajv["compile"]>;
  beforeAll(() => {
    validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(
      JSON.parse(fs.readFileSync(path.join(CHART, "values.schema.json"), "utf8")),
    );
  });

  test("the shipped stacks on Kubernetes are all but the off-Kubernetes examples", () => {
    expect(ON_KUBERNETES.length).toBeGreaterThanOrEqual(5);
    expect(SHIPPED.filter((f) => !ON_KUBERNETES.includes(f))).toEqual([
      "stacks/examples/Pulumi.prod-mwaa.yaml",
    ]);
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

/**
 * One service account per component, both forms: on Airflow 2 each component named in
 * `serviceAccounts`, on Airflow 3 the chart's names for a release (`chartRelease`). The values pass
 * the chart's schema and name, for every component, the account the library created for it.
 */
const PER_COMPONENT: Record<string, Record<string, unknown>> = {
  "2.11": {
    serviceAccounts: {
      scheduler: "af-scheduler",
      workers: "af-worker",
      triggerer: "af-triggerer",
      dagProcessor: "af-dag-processor",
      webserver: "af-webserver",
      migrateDatabaseJob: "af-migrate",
    },
  },
  "3.1": { chartRelease: "airflow" },
};
const perComponentCases = ON_KUBERNETES.flatMap((file) =>
  Object.keys(PER_COMPONENT).map((version) => ({ file, version })),
);

(present ? describe : describe.skip)(
  "helmValues of the shipped stacks, one service account per component",
  () => {
    let validate: ReturnType<Ajv["compile"]>;
    beforeAll(() => {
      validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(
        JSON.parse(fs.readFileSync(path.join(CHART, "values.schema.json"), "utf8")),
      );
    });

    test.each(perComponentCases)("$file on Airflow $version", async ({ file, version }) => {
      const configFile = withVersion(file, version, PER_COMPONENT[version]);
      const { result } = await synthFromArgs(parseSynthArgs(["--config-file", configFile, "--cwd", REPO]));
      const values = result.outputs.helmValues as Record<string, { serviceAccount?: { name: string } }>;
      expect(validate(values) ? [] : validate.errors).toEqual([]);
      const accounts = result.outputs.serviceAccounts as Record<string, string>;
      expect(Object.keys(accounts)).toHaveLength(6);
      expect(new Set(Object.values(accounts)).size).toBe(6);
      for (const [component, account] of Object.entries(accounts))
        expect(values[component].serviceAccount).toEqual({ create: false, name: account });
      const created = result.raw
        .filter((r) => r.type === "kubernetes:core/v1:ServiceAccount")
        .map((r) => (r.inputs.metadata as { name: string }).name);
      expect(created.sort()).toEqual(Object.values(accounts).sort());
    });
  },
);
