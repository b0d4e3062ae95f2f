/**
 * The values for the official Airflow Helm chart pass the chart's own values.schema.json (Ajv,
 * draft-07) for Airflow 2 and 3, every key set exists in the chart's values.yaml, and the checksum
 * annotations change if and only if what the pods read changes.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parse } from "yaml";
import {
  CONFIG_CHECKSUM_ANNOTATION,
  SECRET_CHECKSUM_ANNOTATION,
  airflowChartValues,
  contentChecksum,
} from "../../components/helm/chartValues";
import { IDENTITY_COMPONENTS } from "../../components/kubernetes/serviceAccountNames";

const CHART = path.resolve(__dirname, "../../../shared/airflow-helm-chart");
const present = fs.existsSync(path.join(CHART, "values.schema.json"));
const describeWithChart = present ? describe : describe.skip;

const base = {
  configMapName: "airflow-prod-secrets-config",
  configData: {
    AIRFLOW__SECRETS__BACKEND: "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
  },
  serviceAccounts: Object.fromEntries(
    [...IDENTITY_COMPONENTS[2], ...IDENTITY_COMPONENTS[3]].map((c) => [c, "airflow"]),
  ),
  fernetFromBackend: true,
};
const variants = [
  { name: "Airflow 2, cloud backend", input: { ...base, airflowMajor: 2 as const } },
  { name: "Airflow 3, cloud backend", input: { ...base, airflowMajor: 3 as const } },
  {
    name: "Airflow 3, env backend",
    input: {
      ...base,
      airflowMajor: 3 as const,
      fernetFromBackend: false,
      envSecrets: [{ name: "airflow-dev-env", data: { AIRFLOW_CONN_WAREHOUSE: "postgresql://x" } }],
    },
  },
  {
    name: "Airflow 2, env backend split over three Secrets",
    input: {
      ...base,
      airflowMajor: 2 as const,
      fernetFromBackend: false,
      envSecrets: [0, 1, 3].map((i) => ({
        name: i === 0 ? "airflow-dev-env" : `airflow-dev-env-${i}`,
        data: { [`AIRFLOW_CONN_C${i}`]: "postgresql://x" },
      })),
    },
  },
];

/** Every leaf path of `values` (maps of free-form entries stop at the map). */
function leafPaths(values: Record<string, unknown>, prefix: string[] = []): string[][] {
  return Object.entries(values).flatMap(([key, value]) =>
    value !== null && typeof value === "object" && !Array.isArray(value) && key !== "airflowPodAnnotations"
      ? leafPaths(value as Record<string, unknown>, [...prefix, key])
      : [[...prefix, key]],
  );
}

describeWithChart("against the chart's own schema and defaults", () => {
  // Read in beforeAll: a skipped describe still runs its body, and the chart is absent outside this workspace.
  let defaults: Record<string, unknown>;
  let validate: ReturnType<Ajv["compile"]>;
  beforeAll(() => {
    const schema = JSON.parse(fs.readFileSync(path.join(CHART, "values.schema.json"), "utf8"));
    defaults = parse(fs.readFileSync(path.join(CHART, "values.yaml"), "utf8")) as Record<string, unknown>;
    validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  });

  test.each(variants)("$name: valid", ({ input }) => {
    const values = airflowChartValues(input);
    expect(validate(values) ? [] : validate.errors).toEqual([]);
  });

  test.each(variants)("$name: every key set is one the chart reads", ({ input }) => {
    const paths = leafPaths(airflowChartValues(input));
    expect(paths.length).toBeGreaterThan(5);
    for (const p of paths) {
      let node: unknown = defaults;
      for (const key of p) {
        expect(
          node !== null && typeof node === "object" && key in (node as object)
            ? key
            : `missing ${p.join(".")}`,
        ).toBe(key);
        node = (node as Record<string, unknown>)[key];
      }
    }
  });

  test("the schema check can fail: a wrong type is refused", () => {
    const values = airflowChartValues(variants[1].input) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    values.workers.serviceAccount.create = "no";
    expect(validate(values)).toBe(false);
  });
});

test("every secret-reading component runs as the library's service account, none creating its own", () => {
  for (const major of [2, 3] as const) {
    const values = airflowChartValues({ ...base, airflowMajor: major });
    const components = IDENTITY_COMPONENTS[major];
    expect(components.length).toBe(6);
    for (const c of components)
      expect(values[c]).toEqual({ serviceAccount: { create: false, name: "airflow" } });
    // The other line's UI component is not set: the chart renders it only on its own line.
    expect(values[major === 2 ? "apiServer" : "webserver"]).toBeUndefined();
  }
});

test("each component runs as its own service account when it has one", () => {
  const own = Object.fromEntries(IDENTITY_COMPONENTS[3].map((c) => [c, `airflow-${c.toLowerCase()}`]));
  const values = airflowChartValues({ ...base, airflowMajor: 3, serviceAccounts: own });
  const names = IDENTITY_COMPONENTS[3].map(
    (c) => (values[c] as { serviceAccount: { name: string } }).serviceAccount.name,
  );
  expect(names).toEqual(IDENTITY_COMPONENTS[3].map((c) => own[c]));
  expect(new Set(names).size).toBe(6);
});

test("the chart's Fernet variable is off only when the backend holds the key", () => {
  expect(airflowChartValues({ ...base, airflowMajor: 3 }).enableBuiltInSecretEnvVars).toEqual({
    AIRFLOW__CORE__FERNET_KEY: false,
  });
  expect(
    airflowChartValues({ ...base, airflowMajor: 3, fernetFromBackend: false }).enableBuiltInSecretEnvVars,
  ).toBeUndefined();
});

test("extraEnvFrom names the ConfigMap and the env Secret, quoted for YAML", () => {
  const values = airflowChartValues({ ...variants[2].input, configMapName: "it's" });
  expect(parse(values.extraEnvFrom as string)).toEqual([
    { configMapRef: { name: "it's" } },
    { secretRef: { name: "airflow-dev-env" } },
  ]);
});

test("extraEnvFrom lists every Secret of a split env backend, first to last", () => {
  const values = airflowChartValues(variants[3].input);
  expect(parse(values.extraEnvFrom as string)).toEqual([
    { configMapRef: { name: "airflow-prod-secrets-config" } },
    { secretRef: { name: "airflow-dev-env" } },
    { secretRef: { name: "airflow-dev-env-1" } },
    { secretRef: { name: "airflow-dev-env-3" } },
  ]);
});

describe("checksums", () => {
  const data = { A: "1", B: "two" };
  test("equal content, in any key order, gives the same checksum", () => {
    expect(contentChecksum({ B: "two", A: "1" })).toBe(contentChecksum(data));
  });
  test.each([
    ["a value changes", { A: "1", B: "tw0" }],
    ["a key is added", { ...data, C: "" }],
    ["a key is renamed", { A: "1", C: "two" }],
    ["a boundary moves between key and value", { A: "1", B: "two", "": "" }],
    ["content shifts between entries", { A: "1B", B: "wo" }],
  ])("it changes when %s", (_why, changed) => {
    expect(contentChecksum(changed)).not.toBe(contentChecksum(data));
  });
  test("is SHA-256 over the sorted `len:key=len:value` entries, however large (pods keep their annotation)", () => {
    const large = Object.fromEntries(
      Array.from({ length: 3000 }, (_, i) => [
        `AIRFLOW_CONN_C${2999 - i}`,
        `{"host":"db${i}.internal","ü":"✓"}`,
      ]),
    );
    const expected = createHash("sha256");
    for (const key of Object.keys(large).sort())
      expected.update(`${key.length}:${key}=${large[key].length}:${large[key]}\n`);
    expect(JSON.stringify(large).length).toBeGreaterThan(2 * 65536);
    expect(contentChecksum(large)).toBe(expected.digest("hex"));
    expect(contentChecksum({})).toBe(createHash("sha256").digest("hex"));
  });
  test("the annotations carry them: config always, the Secret with the env backend", () => {
    const cloud = airflowChartValues({ ...base, airflowMajor: 3 }).airflowPodAnnotations as Record<
      string,
      string
    >;
    expect(Object.keys(cloud)).toEqual([CONFIG_CHECKSUM_ANNOTATION]);
    const env = airflowChartValues(variants[2].input).airflowPodAnnotations as Record<string, string>;
    expect(env[SECRET_CHECKSUM_ANNOTATION]).toBe(
      contentChecksum({ AIRFLOW_CONN_WAREHOUSE: "postgresql://x" }),
    );
  });
  test("a split env backend's checksum covers every Secret: a change in any one rolls the pods", () => {
    const input = variants[3].input;
    if (!("envSecrets" in input)) throw new Error("variant 3 is the split env backend");
    const checksum = (envSecrets: typeof input.envSecrets) =>
      (airflowChartValues({ ...input, envSecrets }).airflowPodAnnotations as Record<string, string>)[
        SECRET_CHECKSUM_ANNOTATION
      ];
    const before = checksum(input.envSecrets);
    expect(input.envSecrets.length).toBe(3);
    input.envSecrets.forEach((_secret, i) => {
      const changed = input.envSecrets.map((s, j) =>
        j === i ? { ...s, data: { ...s.data, AIRFLOW_VAR_NEW: "x" } } : s,
      );
      expect(checksum(changed)).not.toBe(before);
    });
    // The same variables, spread differently, are what the pods see either way.
    const merged = [
      { name: "airflow-dev-env", data: Object.assign({}, ...input.envSecrets.map((s) => s.data)) },
    ];
    expect(checksum(merged)).toBe(before);
  });
});
