import * as fs from "fs";
import * as path from "path";
import { PROBES, TABLE_END, TABLE_START, probeOutcomes, renderTable } from "./table";
import { CELLS } from "./matrix";

const README = path.resolve(__dirname, "../../README.md");

/** Cell by cell, ignoring the column padding prettier adds to markdown tables. */
const cells = (table: string) =>
  table
    .trim()
    .split("\n")
    .map((row) =>
      row
        .split("|")
        .map((cell) => cell.trim())
        .map((cell) => (/^:?-+:?$/.test(cell) ? "---" : cell))
        .join("|"),
    );

describe("the README's fidelity table", () => {
  it("is the matrix's outcome for every probe in every backend × format × Airflow line", async () => {
    const outcomes = await probeOutcomes();
    expect(outcomes.size).toBe(CELLS.length * PROBES.length);
    const table = renderTable(outcomes);
    const readme = fs.readFileSync(README, "utf8");
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    if (process.env.UPDATE_FIDELITY_TABLE === "1" && start >= 0 && end > start) {
      // Then run prettier on README.md, which pads the columns.
      fs.writeFileSync(
        README,
        readme.slice(0, start + TABLE_START.length) + "\n" + table + "\n" + readme.slice(end),
      );
      return;
    }
    expect(start).toBeGreaterThanOrEqual(0);
    expect(cells(readme.slice(start + TABLE_START.length, end))).toEqual(cells(table));
  });
});
