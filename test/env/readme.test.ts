/** The env README's settings table is the one its schema generates (as for GCP and Azure). */
import * as fs from "fs";
import * as path from "path";
import { SETTINGS_TABLE_MARKERS, settingsTable } from "../../components/core/settingsTable";
import { settingsSchema } from "../../components/env/schema";

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

test("components/env/README.md has the table its schema generates", () => {
  const readme = fs.readFileSync(path.resolve(__dirname, "../../components/env/README.md"), "utf8");
  const start = readme.indexOf(SETTINGS_TABLE_MARKERS.BEGIN);
  const end = readme.indexOf(SETTINGS_TABLE_MARKERS.END);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const expected = cells(settingsTable(settingsSchema));
  expect(expected.length).toBeGreaterThan(1);
  expect(cells(readme.slice(start, end))).toEqual(expected);
});
