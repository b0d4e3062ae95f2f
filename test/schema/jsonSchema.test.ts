/**
 * The published JSON Schema is generated from the Zod schemas and checked in; this test fails when it
 * is stale (regenerate with UPDATE_SCHEMA=1 npx jest test/schema/jsonSchema.test.ts), and Ajv checks
 * that it accepts every shipped stack file and refuses files that are wrong in shape.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { stackJsonSchemaText } from "../../components/core/jsonSchema";
import { readYamlFile } from "../../cli/synth/stackFile";

const ROOT = path.join(__dirname, "..", "..");
const SCHEMA_FILE = path.join(ROOT, "schema", "stack.schema.json");

test("schema/stack.schema.json is what the schemas generate", () => {
  const generated = stackJsonSchemaText();
  if (process.env.UPDATE_SCHEMA === "1") fs.writeFileSync(SCHEMA_FILE, generated);
  expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(generated);
});

const validate = new Ajv({ strict: false, allErrors: true }).compile(
  JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")),
);

const shipped = [
  ...fs
    .readdirSync(path.join(ROOT, "stacks"))
    .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
    .map((f) => `stacks/${f}`),
  ...fs
    .readdirSync(path.join(ROOT, "stacks", "examples"))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => `stacks/examples/${f}`),
];

test("there are shipped stack files to check", () => {
  expect(shipped.length).toBeGreaterThanOrEqual(5);
});

test.each(shipped)("%s is valid under the published schema", (file) => {
  const ok = validate(readYamlFile(path.join(ROOT, file)));
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
});

const base = () =>
  readYamlFile(path.join(ROOT, "stacks", "Pulumi.staging.yaml")) as { config: Record<string, unknown> };

test.each<[string, (config: Record<string, unknown>) => void]>([
  ["a look-alike namespace", (c) => (c["airflow_secrets:connections"] = [])],
  ["an unknown key in the namespace", (c) => (c["airflow-secrets:conections"] = [])],
  ["connections as a map", (c) => (c["airflow-secrets:connections"] = { warehouse: { conn_type: "http" } })],
  ["a misspelt nested key", (c) => ((c["airflow-secrets:vault"] as Record<string, unknown>).adress = "x")],
  // A null block (every child commented out) is absent, as synth reads it; a null required value is not.
  ["a null required value", (c) => ((c["airflow-secrets:vault"] as Record<string, unknown>).address = null)],
  ["production: yes", (c) => (c["airflow-secrets:production"] = "yes")],
  ["backend: constructor", (c) => (c["airflow-secrets:backend"] = "constructor")],
  ["a numeric Airflow version", (c) => (c["airflow-secrets:airflow"] = { version: 2.1 })],
  // The standby's block is its backend's own schema (by reference): a misspelt key there is refused.
  [
    "a misspelt key in the standby's settings",
    (c) => (c["airflow-secrets:mirror"] = { backend: "aws", aws: { regoin: "x" } }),
  ],
  [
    "another backend's settings under the standby",
    (c) => (c["airflow-secrets:mirror"] = { backend: "aws", gcp: {} }),
  ],
  [
    "a critical flag that is not a boolean",
    (c) => ((c["airflow-secrets:connections"] as Array<Record<string, unknown>>)[0].critical = "yes"),
  ],
])("the schema refuses %s", (_, spoil) => {
  const document = base();
  expect(validate(document)).toBe(true);
  spoil(document.config);
  expect(validate(document)).toBe(false);
});
