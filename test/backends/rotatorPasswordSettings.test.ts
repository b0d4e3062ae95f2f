/**
 * A rotator's password settings are checked with everything else, before registration: an exclusion
 * list that leaves no character would otherwise pass the schema and make the rotation function's
 * component throw mid-deployment.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";
import { PASSWORD_CHARACTER_CLASSES } from "../../components/rotation/password";

const REPO = path.resolve(__dirname, "../..");
const EVERY_CHARACTER = Object.values(PASSWORD_CHARACTER_CLASSES).join("");

function withRotation(file: string, backend: string, rotation: Record<string, unknown>): string {
  const doc = parse(fs.readFileSync(path.join(REPO, file), "utf8")) as {
    config: Record<string, Record<string, unknown>>;
  };
  const block = doc.config[`airflow-secrets:${backend}`];
  block.rotation = { ...(block.rotation as object), ...rotation };
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rotator-")), path.basename(file));
  fs.writeFileSync(out, stringify(doc));
  return out;
}

test.each([
  ["aws", "stacks/Pulumi.prod.yaml"],
  ["gcp", "stacks/examples/Pulumi.prod-gcp.yaml"],
])("%s: excluding every character is refused at its field", async (backend, file) => {
  expect(EVERY_CHARACTER.length).toBeGreaterThan(60);
  const configFile = withRotation(file, backend, { excludeCharacters: EVERY_CHARACTER });
  await expect(synthFromArgs(parseSynthArgs(["--config-file", configFile, "--cwd", REPO]))).rejects.toThrow(
    new RegExp(`${backend}\\.rotation\\.excludeCharacters: `),
  );
});
