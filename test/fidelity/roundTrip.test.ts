/**
 * Generated declarations × every backend, connection format and supported Airflow line: each cell
 * either refuses the declaration before any resource (every problem names a field and a rule, and no
 * secret value) or stores values that Airflow's reading code, re-stated in the Python oracle, reads
 * back field for field. Seeded: set FIDELITY_SEED to replay a failure, FIDELITY_RUNS for more cases.
 */
import fc from "fast-check";
import * as fs from "fs";
import { ConnectionDeclaration, SecretsDeclarations } from "../../components/airflow";
import {
  CELLS,
  Cell,
  askLookups,
  cellName,
  differences,
  lookupRequests,
  planCell,
  secretValues,
  storedValues,
} from "./matrix";

const SEED = Number(process.env.FIDELITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FIDELITY_RUNS ?? 2000);

/** Characters that break naive encoders, plus ordinary ones so many cases are accepted. */
const tricky = fc.constantFrom(
  ..."@:/%#?&=+ '\"\\$~{}[]<>|;,!*()",
  "\n",
  "\t",
  "\r",
  "\0",
  "é",
  "ß",
  "名",
  "🔑",
  "\u0301",
  "\u2028",
);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const plainChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
const char = fc.oneof(
  { weight: 30, arbitrary: plainChar },
  { weight: 6, arbitrary: tricky },
  { weight: 1, arbitrary: loneSurrogate },
);
const text = (max: number) => fc.array(char, { minLength: 0, maxLength: max }).map((cs) => cs.join(""));
/** Mostly values every backend accepts, sometimes anything: each case should often pass every cell. */
const mostly = <T>(safe: fc.Arbitrary<T>, any: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 9, arbitrary: safe }, { weight: 1, arbitrary: any });
const safeText = (max: number) =>
  fc.array(plainChar, { minLength: 1, maxLength: max }).map((cs) => cs.join(""));
/** Secret values: any printable character is fine in every form (the encoders quote them). */
const secretText = (max: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: plainChar },
        { weight: 2, arbitrary: fc.constantFrom(..."@:/%#?&=+ '\"\\$~{}é名🔑") },
      ),
      { minLength: 1, maxLength: max },
    )
    .map((cs) => cs.join(""));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });

const idChar = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_") },
  { weight: 3, arbitrary: fc.constantFrom(..."ABCXYZ-.:/#!()\\") },
  { weight: 1, arbitrary: fc.constantFrom("é", "ü", "名", " ", "$", "@", "\n", "ǅ") },
);
const safeId = fc
  .tuple(
    fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz"),
    fc.array(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_"), { maxLength: 12 }),
  )
  .map(([first, rest]) => first + rest.join(""));
const connId = mostly(
  safeId,
  fc.array(idChar, { minLength: 1, maxLength: 14 }).map((cs) => cs.join("")),
);

const connType = mostly(
  fc.constantFrom(
    "postgres",
    "mysql",
    "http",
    "aws",
    "google_cloud_platform",
    "snowflake",
    "s3",
    "a+b",
    "x.y",
  ),
  fc.constantFrom("postgresql", "google-cloud-platform", "HTTP", "Snowflake", "1abc", "pg sql"),
);
const host = mostly(
  fc.constantFrom(
    "db.internal",
    "10.0.0.1",
    "host/with/slash",
    "Mixed/Slash",
    "münchen.example",
    "a%20b",
    "h:1",
  ),
  fc.oneof(fc.constantFrom("DB.Example.COM", "[::1]"), text(16)),
);
const jsonLeaf = fc.oneof(
  { weight: 6, arbitrary: text(10) },
  { weight: 2, arbitrary: fc.integer({ min: -1e6, max: 1e6 }) },
  { weight: 1, arbitrary: fc.double({ noDefaultInfinity: false, noNaN: false }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);
const extraKey = fc.oneof(fc.constantFrom("__extra__", "region_name", "sslmode", "", "a b", "é"), text(6));
const jsonValue = fc.oneof(
  { weight: 5, arbitrary: jsonLeaf },
  { weight: 1, arbitrary: fc.array(jsonLeaf, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(text(4), jsonLeaf, { maxKeys: 3 }) },
);
const extra = mostly(
  fc.oneof(
    fc.dictionary(fc.oneof(safeText(8), fc.constantFrom("__extra__", "a b", "é", "")), secretText(10), {
      maxKeys: 4,
    }),
    fc.dictionary(
      safeText(8),
      fc.oneof(
        secretText(6),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.integer(), { maxLength: 2 }),
      ),
      { maxKeys: 4 },
    ),
  ),
  fc.oneof(
    fc.dictionary(extraKey, text(10), { maxKeys: 4 }),
    fc.dictionary(extraKey, jsonValue, { maxKeys: 4 }),
  ),
);
const port = mostly(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(0, 70000, 1.5));

const connection: fc.Arbitrary<ConnectionDeclaration> = fc
  .record({
    conn_id: connId,
    conn_type: connType,
    host: maybe(host),
    port: maybe(port),
    schema: maybe(mostly(secretText(12), text(12))),
    login: maybe(mostly(secretText(10), text(10))),
    password: maybe(mostly(secretText(16), text(16))),
    extra: maybe(extra),
    description: fc.option(mostly(safeText(20), text(20)), { nil: undefined, freq: 1 }),
  })
  .map(
    (c) =>
      Object.fromEntries(
        Object.entries(c).filter(([, v]) => v !== undefined),
      ) as unknown as ConnectionDeclaration,
  );

const variable = fc
  .record({
    key: connId,
    value: mostly(secretText(24), text(24)),
    description: fc.option(safeText(12), { nil: undefined, freq: 1 }),
  })
  .map((v) => (v.description === undefined ? { key: v.key, value: v.value } : v));

const CONFIG_OPTIONS: Array<[string, string]> = [
  ["core", "fernet_key"],
  ["database", "sql_alchemy_conn"],
  ["database", "sql_alchemy_conn_async"],
  ["smtp", "smtp_password"],
  ["webserver", "secret_key"],
  ["api", "secret_key"],
  ["api_auth", "jwt_secret"],
  ["celery", "broker_url"],
  ["core", "internal_api_secret_key"],
  ["core", "dags_folder"],
];
const configValue = mostly(
  secretText(20),
  fc.oneof(
    text(20),
    fc.constantFrom("postgresql://u@h/$AIRFLOW_HOME", "~/key", "${X}", "a$", "$1x", "cost 5$", ""),
  ),
);
const config = fc
  .uniqueArray(fc.constantFrom(...CONFIG_OPTIONS), { maxLength: 1, selector: ([s, o]) => `${s}.${o}` })
  .chain((options) =>
    fc
      .tuple(...options.map(() => configValue))
      .map((values) => options.map(([section, option], i) => ({ section, option, value: values[i] }))),
  );

const declarations: fc.Arbitrary<SecretsDeclarations> = fc.record({
  connections: fc.array(connection, { minLength: 1, maxLength: 2 }),
  variables: fc.array(variable, { maxLength: 1 }),
  config,
});

interface Failure {
  index: number;
  cell: string;
  why: string[];
  declarations: SecretsDeclarations;
}

describe(`every generated declaration is refused or read back exactly (seed ${SEED}, ${RUNS} cases)`, () => {
  const cases = fc.sample(declarations, { seed: SEED, numRuns: RUNS });
  const failures: Failure[] = [];
  const tally = new Map<string, { accepted: number; refused: number }>();

  beforeAll(async () => {
    const pending: Array<{
      index: number;
      cell: Cell;
      requests: number;
      plan: import("../../components/airflow").SecretsPlan;
    }> = [];
    const requests: ReturnType<typeof lookupRequests> = [];
    for (const [index, decl] of cases.entries()) {
      const secrets = secretValues(decl).filter((s) => s.length >= 6);
      for (const cell of CELLS) {
        const counts = tally.get(cellName(cell)) ?? { accepted: 0, refused: 0 };
        tally.set(cellName(cell), counts);
        const planned = planCell(cell, decl);
        if ("refused" in planned) {
          counts.refused++;
          const why: string[] = [];
          for (const p of planned.refused) {
            if (!p.path || !p.rule) why.push(`a problem without a field or a rule: ${JSON.stringify(p)}`);
            const text = `${p.path}: ${p.rule}`;
            for (const s of secrets)
              if (text.includes(s)) why.push(`a refusal repeats a secret value: ${text}`);
          }
          if (planned.refused.length === 0) why.push("refused without any problem");
          if (why.length) failures.push({ index, cell: cellName(cell), why, declarations: decl });
          continue;
        }
        counts.accepted++;
        const store = await storedValues(planned.plan);
        const batch = lookupRequests(cell, planned.plan, store, decl);
        pending.push({ index, cell, requests: batch.length, plan: planned.plan });
        requests.push(...batch);
      }
    }
    // FIDELITY_DUMP=file writes the oracle's requests, to run Airflow's own functions on the same inputs.
    if (process.env.FIDELITY_DUMP)
      fs.writeFileSync(process.env.FIDELITY_DUMP, requests.map((r) => JSON.stringify(r)).join("\n"));
    const answers = askLookups(requests);
    let at = 0;
    for (const p of pending) {
      for (let r = 0; r < p.requests; r++, at++) {
        const why = differences(p.plan, cases[p.index], answers[at]);
        const role = p.requests > 1 ? (r === 0 ? " (server)" : " (worker)") : "";
        if (why.length)
          failures.push({ index: p.index, cell: cellName(p.cell) + role, why, declarations: cases[p.index] });
      }
    }
  });

  it(`runs at least 2,000 cases through all ${CELLS.length} cells`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(Math.min(RUNS, 2000));
    // FIDELITY_RUNS may lower it only to replay a failure locally.
    if (process.env.FIDELITY_RUNS === undefined) expect(RUNS).toBeGreaterThanOrEqual(2000);
    expect(tally.size).toBe(CELLS.length);
  });

  it("exercises both outcomes in every cell (at least a tenth of the cases each way)", () => {
    for (const [cell, counts] of tally) {
      const tenth = cases.length / 10;
      if (counts.accepted < tenth || counts.refused < tenth)
        throw new Error(`${cell}: ${JSON.stringify(counts)} (seed ${SEED})`);
    }
    if (process.env.FIDELITY_TALLY) console.log(JSON.stringify(Object.fromEntries(tally), null, 1));
  });

  it("finds nothing read back differently and no refusal without field, rule, or with a secret", () => {
    if (failures.length > 0) {
      const shown = failures
        .slice(0, 8)
        .map(
          (f) =>
            `case ${f.index} in ${f.cell}:\n    ${f.why.join("\n    ")}\n    declarations: ${JSON.stringify(f.declarations)}`,
        )
        .join("\n");
      throw new Error(
        `${failures.length} failures; replay with FIDELITY_SEED=${SEED} FIDELITY_RUNS=${RUNS}\n${shown}`,
      );
    }
  });
});
