/**
 * The README's worked Helm examples ("Worked examples, one per backend") are copy-pasteable: each
 * stack file block synthesizes as is, one per backend, and its `helmValues` pass the official
 * chart's values.schema.json with every component running as the account the example names.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv from "ajv";
import { parse } from "yaml";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";
import { BACKEND_NAMES } from "../../components/core/stackSchema";

const REPO = path.resolve(__dirname, "../..");
const CHART = path.resolve(REPO, "../shared/airflow-helm-chart");
const present = fs.existsSync(path.join(CHART, "values.schema.json"));

const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
const region = /<!-- helm-examples:start[^>]*-->([\s\S]*?)<!-- helm-examples:end -->/.exec(readme)?.[1] ?? "";
const blocks = [...region.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
const examples = blocks.map((text) => {
  const config = (parse(text) as { config: Record<string, unknown> }).config;
  return { backend: String(config["airflow-secrets:backend"]), text };
});

test("one example per backend", () => {
  expect(examples.map((e) => e.backend).sort()).toEqual([...BACKEND_NAMES].sort());
});

(present ? describe : describe.skip)("each example", () => {
  // Compiled in beforeAll: a skipped describe still runs its body, and the chart is absent outside this workspace.
  let validate: ReturnType<Ajv["compile"]>;
  beforeAll(() => {
    validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(
      JSON.parse(fs.readFileSync(path.join(CHART, "values.schema.json"), "utf8")),
    );
  });

  test.each(examples)("$backend synthesizes and its values pass the chart's schema", async ({ text }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-example-"));
    const file = path.join(dir, "Pulumi.example.yaml");
    fs.writeFileSync(file, text);
    const { result } = await synthFromArgs(parseSynthArgs(["--config-file", file, "--cwd", REPO]));
    const values = result.outputs.helmValues as Record<string, { serviceAccount?: { name: string } }>;
    expect(validate(values) ? [] : validate.errors).toEqual([]);
    const accounts = result.outputs.serviceAccounts as Record<string, string>;
    expect(Object.keys(accounts)).toHaveLength(6);
    for (const [component, account] of Object.entries(accounts))
      expect(values[component].serviceAccount).toEqual({ create: false, name: account });
  });
});
