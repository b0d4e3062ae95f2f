/**
 * verify compares values the way Airflow reads them: its view of a stored connection must be the
 * connection Airflow's own backend code builds from the same stored value. The oracle is
 * test/support/airflow_semantics.py (Python's json and urllib, the backends' lookup code restated with
 * citations), asked for generated values of every backend in every form: the contract's JSON and URI,
 * Secrets Manager's key aliases in any order, Vault's field map and `conn_uri`, and broken ones
 * (unknown keys, an extra that is not a JSON object, a port that is not a number), which Airflow
 * refuses and verify must report as unreadable.
 */
import * as fc from "fast-check";
import { backendProfile, BackendKind, ResolvedConnection } from "../../components/airflow";
import { AirflowView, connectionView, fieldsView, UnreadableValue } from "../../cli/verify/airflowView";
import { askPython, LookupAnswer, ReadConnection } from "../support/airflowSemantics";

const KINDS: BackendKind[] = [
  "vault",
  "aws-secrets-manager",
  "aws-ssm",
  "gcp-secret-manager",
  "azure-key-vault",
];

/** Where each backend looks `x` up under the kwargs below (prefix `c`). */
const NAME: Record<string, string> = {
  vault: "c/x",
  "aws-secrets-manager": "c/x",
  "aws-ssm": "/c/x",
  "gcp-secret-manager": "c-x",
  "azure-key-vault": "c-x",
};
const KWARGS: Record<string, Record<string, unknown>> = {
  vault: { connections_path: "c", mount_point: "m" },
  "aws-secrets-manager": { connections_prefix: "c", sep: "/" },
  "aws-ssm": { connections_prefix: "/c" },
  "gcp-secret-manager": { connections_prefix: "c", sep: "-" },
  "azure-key-vault": { connections_prefix: "c", sep: "-" },
};

const text = fc.string({ unit: "grapheme", minLength: 0, maxLength: 12 });
const extraValue = fc.oneof(
  text,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(text, text, { maxKeys: 2 }),
);
const connection: fc.Arbitrary<ResolvedConnection> = fc.record(
  {
    conn_type: fc.constantFrom("postgres", "postgresql", "http", "google_cloud_platform", "aws", "my-type"),
    description: text,
    host: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,15}$/),
    port: fc.integer({ min: 1, max: 65535 }),
    schema: text,
    login: text,
    password: text,
    extra: fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), extraValue, { maxKeys: 3 }),
  },
  { requiredKeys: ["conn_type"] },
);

const AWS_ALIASES: Record<string, string[]> = {
  login: ["login", "user", "username", "user_name"],
  password: ["password", "pass", "key"],
  host: ["host", "remote_host", "server"],
  schema: ["schema", "database"],
  conn_type: ["conn_type", "conn_id", "connection_type", "engine"],
};

/** Stored values of one kind: the contract's forms, respellings Airflow accepts, and broken ones. */
function storedValues(kind: BackendKind, conn: ResolvedConnection, pick: number[]): string[] {
  const profile = backendProfile(kind);
  const json = profile.encodeConnection(conn, "json");
  const uri = profile.encodeConnection(conn, "uri");
  const fields = JSON.parse(json) as Record<string, unknown>;
  const values = [json, uri, ` ${kind === "vault" ? json : uri}\n`];
  if (kind === "aws-secrets-manager") {
    // Aliases, several spellings of one field (the first in the object wins), keys in another order.
    const respelled: Array<[string, unknown]> = [];
    Object.entries(fields).forEach(([key, value], i) => {
      const aliases = AWS_ALIASES[key] ?? [key];
      respelled.push([aliases[pick[i % pick.length] % aliases.length], value]);
      if (pick[i % pick.length] % 3 === 0)
        respelled.push([aliases[(pick[i % pick.length] + 1) % aliases.length], "shadowed"]);
    });
    values.push(
      JSON.stringify(Object.fromEntries(respelled.reverse())),
      JSON.stringify({ ...fields, note: "x" }),
    );
  } else values.push(JSON.stringify({ ...fields, note: "x" }));
  values.push(
    JSON.stringify({ ...fields, extra: "[1, 2]" }),
    JSON.stringify({ ...fields, extra: "{not json" }),
    JSON.stringify({ ...fields, port: "80a" }),
    JSON.stringify({ ...fields, port: "8_080", extra: {}, conn_type: "" }),
  );
  return values;
}

function oracleView(
  read: ReadConnection | null | { error: string } | undefined,
): AirflowView | "unreadable" | "none" {
  if (read === null || read === undefined) return "none";
  if ("error" in read) return "unreadable";
  const { conn_id: _id, ...fields } = read;
  return fieldsView(fields as Record<string, unknown>);
}

function ourView(kind: BackendKind, stored: string): AirflowView | "unreadable" {
  try {
    return connectionView(kind, stored);
  } catch (error) {
    if (error instanceof UnreadableValue) return "unreadable";
    throw error;
  }
}

it("reads every generated stored connection as Airflow's backends do, on every backend", () => {
  const cases = fc.sample(
    fc.tuple(fc.constantFrom(...KINDS), connection, fc.array(fc.nat(11), { minLength: 1, maxLength: 8 })),
    { numRuns: 150, seed: 21 },
  );
  const requests = cases.flatMap(([kind, conn, pick]) =>
    storedValues(kind, conn, pick).map((stored) => ({ kind, stored })),
  );
  const answers = askPython(
    requests.map(({ kind, stored }) => ({
      op: "lookup" as const,
      backend: kind,
      line: "2.10",
      role: "server" as const,
      env: {
        AIRFLOW__SECRETS__BACKEND: backendProfile(kind).backendClass!,
        AIRFLOW__SECRETS__BACKEND_KWARGS: JSON.stringify(KWARGS[kind]),
      },
      store: { [NAME[kind]]: kind === "vault" ? stored.trim() : stored },
      connections: ["x"],
      variables: [],
      config: [],
    })),
  );
  let unreadable = 0;
  requests.forEach(({ kind, stored }, i) => {
    const answer = answers[i];
    expect(answer.error).toBeUndefined();
    const expected = oracleView((answer.ok as LookupAnswer).connections.x);
    expect(expected).not.toBe("none");
    if (expected === "unreadable") unreadable++;
    expect({ kind, stored, view: ourView(kind, kind === "vault" ? stored.trim() : stored) }).toEqual({
      kind,
      stored,
      view: expected,
    });
  });
  // The broken forms are among them, and so are readable ones.
  expect(unreadable).toBeGreaterThan(0);
  expect(unreadable).toBeLessThan(requests.length);
});
