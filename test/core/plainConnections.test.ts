/**
 * Plain connections skip the Zod parse of the stack settings (thousands of them per stack): what
 * `plainConnections` builds must be exactly what the schema returns, and anything the schema would
 * refuse or change must go through the schema, so every shape problem is still reported.
 */
import * as fc from "fast-check";
import { z } from "zod";
import { AIRFLOW_CONNECTION_FIELDS } from "../../components/airflow/serialize";
import { Problems } from "../../components/airflow/problems";
import { connectionDeclarationSchema } from "../../components/core/stackSchema";
import { parseStackSettings, plainConnections } from "../../components/core/stackSettings";

const schema = z.array(connectionDeclarationSchema);

/** Field values of every kind, valid and not, including the edges of each rule. */
const anyValue = fc.oneof(
  fc.string(),
  fc.constantFrom("true", "false", ""),
  fc.integer({ min: -1, max: 70000 }),
  fc.constantFrom(0.5, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, -0, Number.NaN),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  fc.constant(Object.create(null) as object),
  fc.constant({ strategy: "single-user", everyDays: 30 }),
  fc.constant(JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as object),
  fc.constant({ [Symbol("s")]: 1 } as object),
);
const key = fc.constantFrom("conn_id", ...AIRFLOW_CONNECTION_FIELDS, "rotation", "critical", "user");
/** Mostly plain connections (so both paths are exercised), sometimes anything at all. */
const plainConnection = fc.record(
  {
    conn_id: fc.string(),
    conn_type: fc.string(),
    description: fc.string(),
    host: fc.string(),
    port: fc.integer({ min: 1, max: 65535 }),
    schema: fc.string(),
    login: fc.string(),
    password: fc.string(),
    extra: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  },
  { requiredKeys: ["conn_id", "conn_type"] },
);
/** A plain connection with one field set to anything: the cases closest to the rules' edges. */
const nearlyPlain = fc
  .tuple(plainConnection, key, anyValue)
  .map(([conn, field, value]) => ({ ...conn, [field]: value }));
const anyConnection = fc.oneof(
  plainConnection,
  nearlyPlain,
  fc.dictionary(key, anyValue, { maxKeys: 6 }),
  anyValue,
);

describe("plain connections", () => {
  it("are built exactly as the schema returns them, and only when it accepts them unchanged", () => {
    let plain = 0;
    fc.assert(
      fc.property(fc.array(anyConnection, { maxLength: 4 }), (list) => {
        const fast = plainConnections(list);
        if (fast === undefined) return;
        plain++;
        const parsed = schema.safeParse(list);
        expect(parsed.success).toBe(true);
        expect(fast).toStrictEqual(parsed.data);
        fast.forEach((conn, i) => expect(Object.keys(conn)).toEqual(Object.keys(parsed.data![i])));
      }),
      { numRuns: 3000 },
    );
    expect(plain).toBeGreaterThan(100);
  });

  it("leave anything else to the schema: rotation, critical, a string port, an unknown key, a missing id", () => {
    const base = { conn_id: "a", conn_type: "http" };
    expect(plainConnections([base])).toEqual([base]);
    for (const odd of [
      { ...base, rotation: { strategy: "single-user", everyDays: 30 } },
      { ...base, critical: true },
      { ...base, port: "5432" },
      { ...base, port: 1.5 },
      { ...base, user: "x" },
      { conn_type: "http" },
      { ...base, extra: [] },
      { ...base, extra: JSON.parse('{"__proto__": {}}') },
    ])
      expect(plainConnections([base, odd])).toBeUndefined();
    expect(plainConnections("a list")).toBeUndefined();
  });

  it("keep every shape problem of a stack file reported, with its path", () => {
    const raw = (connections: unknown) => ({ environment: "dev", backend: "env", connections });
    const problems = new Problems();
    const parsed = parseStackSettings(raw([{ conn_id: "a", conn_type: "http", port: "80" }]), problems);
    expect(parsed).toBeUndefined();
    expect(problems.list.map((p) => p.path)).toEqual(["connections[0].port"]);
    const fine = parseStackSettings(
      raw([{ host: "h", conn_type: "http", conn_id: "a", extra: { b: 1, a: { c: 2 } } }]),
      new Problems(),
    );
    expect(fine?.topLevel.connections).toStrictEqual([
      { conn_id: "a", conn_type: "http", host: "h", extra: { b: 1, a: { c: 2 } } },
    ]);
  });
});
