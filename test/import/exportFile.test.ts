/**
 * The export reader against Python: generated connections (arbitrary text in every field) written
 * by Airflow's own `get_uri` (Airflow 2 and 3), read by our reader and by Python's urllib as Airflow
 * does; and what happens to entries Airflow itself cannot read (refused, no value in the message).
 */
import * as fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseExport, readExportFile } from "../../cli/import/exportFile";
import { askPython } from "../support/airflowSemantics";
import { CorpusConnection } from "./support/corpus";
import { writeExports } from "./support/harness";

jest.setTimeout(120_000);

const text = fc.string({ unit: "binary", minLength: 1, maxLength: 24 });
const lowerHost = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
const connection = fc.record({
  conn_type: fc.constantFrom("postgres", "http", "google_cloud_platform", "aws", "generic"),
  host: fc.option(fc.oneof(lowerHost, text), { nil: null }),
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: null }),
  schema: fc.option(text, { nil: null }),
  login: fc.option(text, { nil: null }),
  password: fc.option(text, { nil: null }),
  extra: fc.option(
    fc
      .dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(text, fc.integer(), fc.boolean()))
      .map((d) => JSON.stringify(d)),
    { nil: null },
  ),
});

function normalize(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined || value === "" || key === "description") continue;
    if (key === "extra") {
      const extra = typeof value === "string" ? JSON.parse(value) : value;
      if (Object.keys(extra).length > 0) out.extra = extra;
    } else out[key] = value;
  }
  return out;
}

describe("reading connection URIs as Airflow does", () => {
  it("agrees with Python's urllib on 300 generated connections, Airflow 2 and 3 get_uri", () => {
    const generated = fc.sample(connection, { seed: 20, numRuns: 150 });
    // Python's get_uri raises on some of these (and Airflow could not export them either).
    const connections: CorpusConnection[] = generated.map((c, i) => ({ conn_id: `c${i}`, ...c }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "uri-"));
    const files = writeExports(dir, [
      { name: "af2.env", format: "env-uri", airflow: 2, connections },
      { name: "af3.env", format: "env-uri", airflow: 3, connections },
    ]);
    let compared = 0;
    for (const file of files) {
      const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
      const ours = readExportFile(file).connections;
      expect(ours).toHaveLength(lines.length);
      const answers = askPython(
        lines.map((line) => ({ op: "uri" as const, value: line.slice(line.indexOf("=") + 1) })),
      );
      ours.forEach((conn, i) => {
        const python = answers[i];
        if (python.error !== undefined) {
          expect(conn.problem).toBeDefined();
          return;
        }
        expect(conn.problem).toBeUndefined();
        expect({ id: conn.conn_id, ...normalize(conn.fields as Record<string, unknown>) }).toEqual({
          id: conn.conn_id,
          ...normalize(python.ok as Record<string, unknown>),
        });
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(250);
  });
});

describe("entries Airflow cannot read", () => {
  const password = "hunter2-DO-NOT-PRINT";

  it.each([
    ["broken.env", `bad={"conn_type": "http", "password": "${password}"\n`, /not valid JSON/],
    ["notobject.env", `arr=["${password}"]\n`, /the URI has no scheme/],
    ["port.env", `p=http://user:${password}@host:99999/x\n`, /Port out of range/],
    [
      "extra.json",
      JSON.stringify({ x: { conn_type: "http", password, extra: `["${password}"]` } }),
      /extra is not a JSON object/,
    ],
    [
      "extra2.json",
      JSON.stringify({ x: { conn_type: "http", password, extra: `{${password}` } }),
      /extra is not JSON/,
    ],
    [
      "keys.json",
      JSON.stringify({ x: { conn_type: "http", password, passwd: password } }),
      /unknown connection keys passwd/,
    ],
  ])("%s is refused with the reason and without the value", (name, content, reason) => {
    const [conn] = parseExport(name, content).connections;
    expect(conn.fields).toBeUndefined();
    expect(conn.problem).toMatch(reason);
    expect(conn.problem).not.toContain(password);
  });

  it("a file that is not valid JSON or YAML names the position, never the text", () => {
    expect(() => parseExport("c.json", `{"x": {"password": "${password}" oops}}`)).toThrow(/not valid JSON/);
    expect(() => parseExport("c.json", `{"x": {"password": "${password}" oops}}`)).not.toThrow(password);
    expect(() => parseExport("c.yaml", `x: [${password}\n y: {`)).toThrow(
      /not valid YAML \(line \d+, column \d+\)/,
    );
  });
});
