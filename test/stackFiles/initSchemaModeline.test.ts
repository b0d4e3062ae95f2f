/**
 * Every stack file `airflow-secrets init` writes starts with the yaml-language-server modeline, whose
 * path reaches the package's published JSON Schema once the package is installed in the project
 * (`node_modules/airflow-secrets/schema/stack.schema.json`); with that schema the written files are
 * valid, so an editor shows completion and hover docs and no false error.
 */
import Ajv from "ajv";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { main } from "../../cli/main";
import { BACKENDS } from "../../cli/init";
import { SCHEMA_MODELINE } from "../../cli/init/stacks";

const ROOT = path.resolve(__dirname, "../..");
const MODELINE = /^# yaml-language-server: \$schema=(\S+)$/;

async function init(backend: string): Promise<string> {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "init-schema-")), `secrets-${backend}`);
  let stderr = "";
  const status = await main(["init", "--backend", backend, "--dir", dir, "--repository", "acme/secrets"], {
    stdout: () => undefined,
    stderr: (text) => void (stderr += text),
  });
  expect({ status, stderr }).toEqual({ status: 0, stderr: "" });
  // The package as npm installs it: its schema/ folder under node_modules/airflow-secrets.
  const installed = path.join(dir, "node_modules", "airflow-secrets");
  fs.mkdirSync(installed, { recursive: true });
  fs.symlinkSync(path.join(ROOT, "schema"), path.join(installed, "schema"));
  return dir;
}

test("the modeline points from stacks/ into the installed package", () => {
  expect(SCHEMA_MODELINE).toBe(
    "# yaml-language-server: $schema=../node_modules/airflow-secrets/schema/stack.schema.json",
  );
});

describe.each(BACKENDS.map((b) => [b]))("init --backend %s", (backend) => {
  it("writes stack files whose first line names the schema, which exists and accepts them", async () => {
    const dir = await init(backend);
    const stacks = fs.readdirSync(path.join(dir, "stacks")).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
    expect(stacks.sort()).toEqual(["Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
    for (const stack of stacks) {
      const file = path.join(dir, "stacks", stack);
      const text = fs.readFileSync(file, "utf8");
      const schemaPath = MODELINE.exec(text.split("\n")[0])?.[1];
      expect([stack, schemaPath]).toEqual([stack, expect.any(String)]);
      const schemaFile = path.resolve(path.dirname(file), schemaPath!);
      expect(schemaFile).toBe(path.join(dir, "node_modules/airflow-secrets/schema/stack.schema.json"));
      const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8"));
      const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
      const ok = validate(parse(text, { merge: true, uniqueKeys: true }));
      expect([stack, ok, validate.errors ?? null]).toEqual([stack, true, null]);
    }
  });
});
