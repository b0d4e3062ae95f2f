/**
 * The production plaintext check at any depth (issue 15), generated from the schemas: every field a
 * schema marks secret (`isSecretField`: a connection's password, a config value,
 * `vault.database.password`…) and every free-form map (`isFreeFormField`: `extra`) with credential
 * entries nested in maps and lists, of the top level and of every backend. In a production stack
 * file each plaintext value is refused at its field path and the same value as `secure:` is not; a
 * development file may hold plaintext. Then end to end through `synth --config-file`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { Problems } from "../../components/airflow";
import { z } from "zod";
import {
  displayPath,
  innerSchema,
  isFreeFormField,
  isSecretField,
  schemaFields,
} from "../../components/core/schema";
import { CONFIG_NAMESPACE, topLevelShape } from "../../components/core/stackSchema";
import { backendSettingsSchemas } from "../../components/core/stackSettings";
import { checkStackFileSecrets } from "../../cli/synth/stackFileSecrets";
import { CORPUS, STACK_TRACE, synthInProcess } from "./corpus";

jest.setTimeout(300_000);

const MARKER = "hunter2-MARKER-plaintext-31c7";
const SECURE = { secure: "v1:EXAMPLE:replace-with-pulumi-config-set-secret" };

interface Planted {
  /** The config key (`connections`, `vault`) and the path below it as schemaFields gives it. */
  key: string;
  segments: string[];
  /** The value put at the end of the path. */
  leaf: unknown;
  /** The problem path the check must name, under `airflow-secrets:`. */
  expected: string;
}

/** A value holding `leaf` at `segments` (`[]` a one-item list, `*` a map entry named `entry`). */
function valueAt(segments: readonly string[], leaf: unknown): unknown {
  if (segments.length === 0) return leaf;
  const [head, ...rest] = segments;
  if (head === "[]") return [valueAt(rest, leaf)];
  if (head === "*") return { entry: valueAt(rest, leaf) };
  return { [head]: valueAt(rest, leaf) };
}

/** `a[0].b.entry` as the check prints the path `a[].b.*` when each list holds one item. */
const printed = (segments: readonly string[]) =>
  displayPath(segments.map((s) => (s === "*" ? "entry" : s))).replace(/\[\]/g, "[0]");

/** Credential entries of a free-form map, at depth 1, in nested maps and inside lists of maps. */
const FREE_FORM_PLANTS: Array<{ inside: string[]; leafKey: string }> = [
  { inside: [], leafKey: "password" },
  { inside: ["headers"], leafKey: "Authorization" },
  { inside: ["auth", "oauth", "client"], leafKey: "client_secret" },
  { inside: ["endpoints", "[]"], leafKey: "api_key" },
  { inside: ["endpoints", "[]", "headers"], leafKey: "X-Auth-Token" },
];

function plants(): Planted[] {
  const schemas = { ...topLevelShape, ...backendSettingsSchemas() } as Record<
    string,
    Parameters<typeof schemaFields>[0]
  >;
  const out: Planted[] = [];
  for (const [key, schema] of Object.entries(schemas)) {
    // A top-level key is itself a field (no secret one today; kept general).
    const inner = innerSchema(schema);
    // A declaration list (`connections`) is a list of objects: its items' fields sit under `[]`.
    const below =
      inner instanceof z.ZodArray ? schemaFields(inner.element as z.ZodType, ["[]"]) : schemaFields(schema);
    const fields = [{ path: [] as string[], schema }, ...below];
    for (const field of fields) {
      if (isSecretField(field.schema))
        out.push({
          key,
          segments: field.path,
          leaf: MARKER,
          expected: `${key}${field.path.length ? (field.path[0] === "[]" ? "" : ".") : ""}${printed(field.path)}`,
        });
      if (isFreeFormField(field.schema))
        for (const { inside, leafKey } of FREE_FORM_PLANTS) {
          const segments = [...field.path, ...inside, leafKey];
          out.push({
            key,
            segments,
            leaf: `Bearer ${MARKER}`,
            expected: `${key}${segments[0] === "[]" ? "" : "."}${printed(segments)}`,
          });
        }
    }
  }
  return out;
}

const PLANTS = plants();

function check(environment: string, plant: Planted, leaf: unknown): string[] {
  const problems = new Problems();
  checkStackFileSecrets(
    {
      [`${CONFIG_NAMESPACE}:environment`]: environment,
      [`${CONFIG_NAMESPACE}:${plant.key}`]: valueAt(plant.segments, leaf),
    },
    CONFIG_NAMESPACE,
    problems,
  );
  return problems.list.map((p) => `${p.path}: ${p.rule}`);
}

describe("every secret-bearing field of every schema, generated", () => {
  it("finds the secret fields of the declarations and of the backends, and the free-form maps", () => {
    const keys = new Set(PLANTS.map((p) => p.expected.split(/[.[]/)[0]));
    // The declarations' fields (password, config value, extra) and at least one backend's own.
    expect(PLANTS.map((p) => p.expected)).toEqual(
      expect.arrayContaining([
        "connections[0].password",
        "config[0].value",
        "connections[0].extra.headers.Authorization",
        "connections[0].extra.endpoints[0].headers.X-Auth-Token",
      ]),
    );
    expect([...keys].some((k) => k in backendSettingsSchemas())).toBe(true);
  });

  it.each(PLANTS.map((p) => [p.expected, p] as const))(
    "%s: refused as plaintext in production, naming the path and not the value",
    (expected, plant) => {
      const problems = check("prod", plant, plant.leaf);
      expect(problems).toEqual([
        expect.stringMatching(
          new RegExp(`^${CONFIG_NAMESPACE}:${escape(expected)}: is plaintext in a production stack file`),
        ),
      ]);
      expect(problems.join("\n")).not.toContain(MARKER);
    },
  );

  it.each(PLANTS.map((p) => [p.expected, p] as const))(
    "%s: accepted as secure: in production",
    (_, plant) => {
      expect(check("prod", plant, SECURE)).toEqual([]);
    },
  );

  it.each(PLANTS.map((p) => [p.expected, p] as const))(
    "%s: plaintext is allowed outside production",
    (_, plant) => {
      expect(check("dev", plant, plant.leaf)).toEqual([]);
    },
  );
});

/** A list of plaintext values under a credential-named entry (`extra.api_keys: [k1, k2]`): each item. */
test("a list of plaintext credentials in extra is refused item by item", () => {
  const plant: Planted = {
    key: "connections",
    segments: ["[]", "extra", "api_keys"],
    leaf: undefined,
    expected: "connections[0].extra.api_keys",
  };
  const problems = check("prod", plant, [`one-${MARKER}`, `two-${MARKER}`]);
  expect(problems.map((p) => p.split(": ")[0])).toEqual([
    `${CONFIG_NAMESPACE}:connections[0].extra.api_keys[0]`,
    `${CONFIG_NAMESPACE}:connections[0].extra.api_keys[1]`,
  ]);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** End to end: the env corpus baseline made production, each secret spelled in plaintext. */
describe("through synth --config-file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaintext-"));
  const base = fs
    .readFileSync(path.join(CORPUS, "env/valid.yaml"), "utf8")
    .replace("environment: dev", "environment: prod")
    .replace(/airflow-dev/g, "airflow-prod");

  async function synth(mutate: (doc: ReturnType<typeof parseDocument>) => void) {
    const doc = parseDocument(base);
    mutate(doc);
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, doc.toString());
    const outcome = await synthInProcess(file);
    const output = outcome.stdout + outcome.stderr;
    expect(STACK_TRACE.test(output)).toBe(false);
    expect(output).not.toContain(MARKER);
    return outcome;
  }

  const cases: Array<[string, (doc: ReturnType<typeof parseDocument>, leaf: unknown) => void]> = [
    [
      "connections[0].password",
      (doc, leaf) => doc.setIn(["config", "airflow-secrets:connections", 0, "password"], leaf),
    ],
    [
      "connections[1].extra.headers.Authorization",
      (doc, leaf) =>
        doc.setIn(
          ["config", "airflow-secrets:connections", 1, "extra"],
          doc.createNode({ headers: { Authorization: leaf } }),
        ),
    ],
    [
      "connections[1].extra.endpoints[1].token",
      (doc, leaf) =>
        doc.setIn(
          ["config", "airflow-secrets:connections", 1, "extra"],
          doc.createNode({
            endpoints: [{ url: "https://a.example.com" }, { url: "https://b.example.com", token: leaf }],
          }),
        ),
    ],
    [
      "config[0].value",
      (doc, leaf) =>
        doc.setIn(
          ["config", "airflow-secrets:config"],
          doc.createNode([{ section: "smtp", option: "smtp_password", value: leaf }]),
        ),
    ],
  ];

  it("accepts the production baseline (every secret already secure:)", async () => {
    const outcome = await synth(() => undefined);
    expect(outcome.stderr).toBe("");
    expect(outcome.status).toBe(0);
  });

  it.each(cases)("refuses %s in plaintext, naming it, and accepts it as secure:", async (at, plant) => {
    const plain = await synth((doc) => plant(doc, `plain-${MARKER}`));
    expect(plain.status).toBe(1);
    expect(plain.stderr).toContain(`airflow-secrets:${at}: is plaintext in a production stack file`);
    const secure = await synth((doc) => plant(doc, doc.createNode(SECURE)));
    expect({ status: secure.status, stderr: secure.stderr }).toEqual({ status: 0, stderr: "" });
  });
});
