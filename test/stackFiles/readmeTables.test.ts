/** The GCP and Azure README settings tables are generated from the schemas; a stale table fails here. */
import * as fs from "fs";
import * as path from "path";
import { SETTINGS_TABLE_MARKERS, settingsTable } from "../../components/core/settingsTable";
import { settingsSchema as awsSchema } from "../../components/aws/schema";
import { settingsSchema as azureSchema } from "../../components/azure/schema";
import { settingsSchema as envSchema } from "../../components/env/schema";
import { settingsSchema as gcpSchema } from "../../components/gcp/schema";
import { settingsSchema as vaultSchema } from "../../components/vault/schema";

const ROOT = path.resolve(__dirname, "../..");
/** Prettier pads table cells; compare cell contents only. */
const cells = (table: string) =>
  table
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim())
        .join("|"),
    );

test.each([
  ["env", envSchema],
  ["vault", vaultSchema],
  ["aws", awsSchema],
  ["gcp", gcpSchema],
  ["azure", azureSchema],
] as const)("components/%s/README.md has the table its schema generates", (backend, schema) => {
  const readme = fs.readFileSync(path.join(ROOT, "components", backend, "README.md"), "utf8");
  const start = readme.indexOf(SETTINGS_TABLE_MARKERS.BEGIN);
  const end = readme.indexOf(SETTINGS_TABLE_MARKERS.END);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const expected = cells(settingsTable(schema));
  expect(expected.length).toBeGreaterThan(1);
  expect(cells(readme.slice(start, end))).toEqual(expected);
});
