/** The Vault README's settings table is the one its schema generates; a stale table fails here. */
import * as fs from "fs";
import * as path from "path";
import { SETTINGS_TABLE_MARKERS, settingsTable } from "../../components/core/settingsTable";
import { settingsSchema } from "../../components/vault/schema";

const README = path.resolve(__dirname, "../../components/vault/README.md");
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

test("components/vault/README.md has the table schema.ts generates", () => {
  const readme = fs.readFileSync(README, "utf8");
  const start = readme.indexOf(SETTINGS_TABLE_MARKERS.BEGIN);
  const end = readme.indexOf(SETTINGS_TABLE_MARKERS.END);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const expected = cells(settingsTable(settingsSchema));
  expect(expected.length).toBeGreaterThan(20);
  expect(cells(readme.slice(start, end))).toEqual(expected);
  // One table: the hand-written one it replaced is gone.
  expect(readme.indexOf("| key ")).toBe(readme.indexOf("| key ", start));
});
