/**
 * The serializers were rewritten to allocate less (thousands of connections per synth); what they
 * write must not change by one byte, since a changed value is a changed secret (and the import file a
 * changed stack output). Each is compared with the straightforward form it replaced, on generated input.
 */
import * as fc from "fast-check";
import {
  AIRFLOW_CONNECTION_FIELDS,
  AirflowConnectionField,
  ResolvedConnection,
  connectionFields,
  connectionsImportFile,
  connectionsImportFileOf,
  stableJson,
} from "../../components/airflow/serialize";

/** The former `stableJson`: every object rebuilt with sorted keys. */
function referenceStableJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

/** The former `connectionFields`. */
function referenceFields(
  conn: ResolvedConnection,
  keep: readonly AirflowConnectionField[] = AIRFLOW_CONNECTION_FIELDS,
): Record<string, string | number> {
  const fields: Record<string, string | number> = {};
  const put = (key: AirflowConnectionField, value: string | number | undefined) => {
    if (value === undefined || value === "" || !keep.includes(key)) return;
    fields[key] = value;
  };
  put("conn_type", conn.conn_type);
  put("description", conn.description);
  put("host", conn.host);
  put("port", conn.port);
  put("schema", conn.schema);
  put("login", conn.login);
  put("password", conn.password);
  if (conn.extra !== undefined && Object.keys(conn.extra).length > 0)
    put("extra", referenceStableJson(conn.extra));
  return fields;
}

/** The former import file: the map rebuilt in sorted order, then pretty-printed. */
function referenceImportFile(connections: Record<string, ResolvedConnection>): string {
  const body = Object.fromEntries(
    Object.keys(connections)
      .sort()
      .map((id) => [id, referenceFields(connections[id])]),
  );
  return JSON.stringify(body, null, 2) + "\n";
}

const text = fc.oneof(fc.string(), fc.constantFrom("", "a\nb", 'q"uote', "ü ✓ 😀", "\u0000"));
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("0", "7", "10", "01", "4294967295", "-1"));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    text,
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  ),
})).value;
const extra = fc.dictionary(key, json, { maxKeys: 5 });
const connection: fc.Arbitrary<ResolvedConnection> = fc.record(
  {
    conn_type: fc.constantFrom("postgres", "http", "aws", ""),
    description: text,
    host: text,
    port: fc.integer({ min: 1, max: 65535 }),
    schema: text,
    login: text,
    password: text,
    extra,
  },
  { requiredKeys: ["conn_type"] },
);
/** conn_ids including array-index-like ones ("7", "10"), which objects list first. */
const connId = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/),
  fc.constantFrom("0", "7", "10", "09", "4294967294", "4294967295", "99999999999", "a", "B", "_"),
);

describe("serialization is byte-for-byte what it was", () => {
  it("stableJson: sorted keys at every depth, sorted input returned as written", () => {
    fc.assert(fc.property(json, (value) => expect(stableJson(value)).toBe(referenceStableJson(value))));
    // A class instance is rebuilt from its own keys, as before (never written through its toJSON).
    const withDate = { b: new Date(0), a: [1, { d: 1, c: 2 }] };
    expect(stableJson(withDate)).toBe(referenceStableJson(withDate));
    expect(stableJson({ a: 1, b: { c: [1, 2] } })).toBe('{"a":1,"b":{"c":[1,2]}}');
  });

  it("connectionFields: the same fields in the same order, for every kept subset", () => {
    const keep = fc.subarray([...AIRFLOW_CONNECTION_FIELDS]);
    fc.assert(
      fc.property(connection, keep, (conn, kept) => {
        expect(JSON.stringify(connectionFields(conn))).toBe(JSON.stringify(referenceFields(conn)));
        expect(JSON.stringify(connectionFields(conn, kept))).toBe(
          JSON.stringify(referenceFields(conn, kept)),
        );
      }),
    );
  });

  it("the import file: the same bytes, ids in the order the former map held them", () => {
    const connections = fc.dictionary(connId, connection, { maxKeys: 12 });
    fc.assert(
      fc.property(connections, (byId) => {
        const expected = referenceImportFile(byId);
        expect(connectionsImportFile(byId)).toBe(expected);
        const pairs = Object.entries(byId).reverse() as Array<[string, ResolvedConnection]>;
        expect(connectionsImportFileOf(pairs)).toBe(expected);
      }),
    );
    expect(connectionsImportFileOf([])).toBe("{}\n");
    // A valid conn_id like any other: written as a key, never taken for the object's prototype.
    const proto = connectionsImportFileOf([
      ["__proto__", { conn_type: "http", host: "h" }],
      ["a", { conn_type: "http" }],
    ]);
    expect(Object.keys(JSON.parse(proto))).toEqual(["__proto__", "a"]);
    expect(proto).toBe(
      '{\n  "__proto__": {\n    "conn_type": "http",\n    "host": "h"\n  },\n  "a": {\n    "conn_type": "http"\n  }\n}\n',
    );
    expect(
      Object.keys(
        JSON.parse(
          connectionsImportFile({ b: { conn_type: "x" }, "10": { conn_type: "x" }, "9": { conn_type: "x" } }),
        ),
      ),
    ).toEqual(["9", "10", "b"]);
  });
});
