/**
 * The emergency subset: connections marked `critical: true`, as the file `airflow connections import`
 * reads. Generated connections go through the file and Airflow's importer (re-stated in the oracle,
 * test/support/airflow_semantics.py `import_file`) on every supported line and must come back field for
 * field; the flag itself is never part of a stored value.
 */
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import {
  BACKEND_KINDS,
  ConnectionDeclaration,
  Problems,
  SUPPORTED_AIRFLOW_VERSIONS,
  tryPlanSecrets,
} from "../../components/airflow";
import {
  EMERGENCY_CONNECTIONS_KEY,
  checkEmergencySubset,
  emergencyImportFile,
  emergencyVariable,
} from "../../components/airflow/emergency";
import { LookupAnswer, ReadConnection, askPython } from "../support/airflowSemantics";
import { differences } from "../fidelity/matrix";

const SEED = Number(process.env.FIDELITY_SEED ?? Math.floor(Math.random() * 2 ** 31));

const plainChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
const anyChar = fc.oneof(
  { weight: 6, arbitrary: plainChar },
  { weight: 2, arbitrary: fc.constantFrom(..."@:/%#?&=+ '\"\\$~{}[]<>é名🔑\n\t") },
);
const text = (min: number, max: number, char = anyChar) =>
  fc.array(char, { minLength: min, maxLength: max }).map((cs) => cs.join(""));
const extraValue = fc.oneof(
  text(0, 12),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text(0, 4), { maxLength: 3 }),
);

const connection: fc.Arbitrary<ConnectionDeclaration> = fc.record(
  {
    conn_id: text(1, 40, plainChar),
    conn_type: fc.constantFrom("postgres", "http", "aws", "google_cloud_platform", "snowflake", "generic"),
    description: text(0, 30),
    host: text(0, 30),
    port: fc.integer({ min: 1, max: 65535 }),
    schema: text(0, 20),
    login: text(0, 20),
    password: text(0, 40),
    extra: fc.dictionary(text(1, 10, plainChar), extraValue, { maxKeys: 4 }),
    critical: fc.constant(true),
  },
  { requiredKeys: ["conn_id", "conn_type", "critical"] },
);

const connections = fc.uniqueArray(connection, { minLength: 1, maxLength: 5, selector: (c) => c.conn_id });

/** The importer's answer as a lookup answer, so the fidelity oracle's field comparison applies. */
function imported(line: string, file: string): LookupAnswer {
  const [answer] = askPython([{ op: "import", line, value: file }]);
  if (answer.error) throw new Error(answer.error);
  return {
    connections: answer.ok as Record<string, ReadConnection>,
    variables: {},
    config: {},
    calls: 0,
  };
}

test("generated critical connections round-trip through the import file on every Airflow line", () => {
  let accepted = 0;
  const cases: Array<{ line: string; declared: ConnectionDeclaration[]; file: string }> = [];
  fc.assert(
    fc.property(connections, fc.constantFrom(...SUPPORTED_AIRFLOW_VERSIONS), (declared, line) => {
      // Only what the contract accepts is ever stored (Vault takes every field of a connection).
      const problems = new Problems();
      const plan = tryPlanSecrets(
        {
          backend: "vault",
          environment: "dev",
          airflow: { version: line },
          declarations: { connections: declared },
        },
        problems,
      );
      checkEmergencySubset(declared, problems);
      if (plan === undefined || !problems.empty) return;
      accepted++;
      cases.push({ line, declared, file: emergencyImportFile(declared) as string });
    }),
    { seed: SEED, numRuns: 300 },
  );
  expect(accepted).toBeGreaterThan(100);
  const answers = askPython(cases.map((c) => ({ op: "import" as const, line: c.line, value: c.file })));
  const failures: string[] = [];
  cases.forEach((c, i) => {
    const read = {
      connections: answers[i].ok as Record<string, ReadConnection>,
      variables: {},
      config: {},
      calls: 0,
    };
    const plan = tryPlanSecrets(
      {
        backend: "vault",
        environment: "dev",
        airflow: { version: c.line },
        declarations: { connections: c.declared },
      },
      new Problems(),
    )!;
    const diff = differences(plan, { connections: c.declared }, read);
    if (diff.length > 0) failures.push(`seed ${SEED}, Airflow ${c.line}: ${diff.join("; ")}`);
  });
  expect(failures).toEqual([]);
});

test("the file holds only the critical connections, and never the flag", () => {
  const file = emergencyImportFile([
    { conn_id: "warehouse", conn_type: "postgres", host: "db", password: "p", critical: true },
    { conn_id: "slack", conn_type: "http", host: "hooks.slack.com" },
    { conn_id: "billing", conn_type: "postgres", host: "b", critical: false },
  ]) as string;
  const parsed = JSON.parse(file);
  expect(Object.keys(parsed)).toEqual(["warehouse"]);
  expect(parsed.warehouse).toEqual({ conn_type: "postgres", host: "db", password: "p" });
  expect(file).not.toContain("critical");
  expect(emergencyImportFile([{ conn_id: "slack", conn_type: "http" }])).toBeUndefined();
});

test("critical is never stored in a connection's value, on any backend or form", async () => {
  const base: ConnectionDeclaration = {
    conn_id: "warehouse",
    conn_type: "postgres",
    host: "db",
    port: 5432,
    login: "a",
    password: "p",
  };
  const values = async (
    conn: ConnectionDeclaration,
    backend: (typeof BACKEND_KINDS)[number],
    form: "json" | "uri",
  ) => {
    const plan = tryPlanSecrets(
      {
        backend,
        environment: "dev",
        airflow: { version: "3.1", connectionFormat: form },
        declarations: { connections: [conn] },
      },
      new Problems(),
    )!;
    return (plan.valuesByName() as unknown as { promise(): Promise<Record<string, string>> }).promise();
  };
  expect(BACKEND_KINDS.length).toBeGreaterThan(0);
  for (const backend of BACKEND_KINDS)
    for (const form of ["json", "uri"] as const) {
      const flagged = await values({ ...base, critical: true }, backend, form);
      expect(flagged).toEqual(await values(base, backend, form));
      for (const value of Object.values(flagged)) expect(value).not.toContain("critical");
    }
});

test("an id Airflow's importer skips is refused at the flag, and the oracle's importer agrees", () => {
  const declared: ConnectionDeclaration[] = [
    { conn_id: "ok_id.v-2", conn_type: "http", critical: true },
    { conn_id: "team:ops", conn_type: "http", critical: true },
    { conn_id: "x".repeat(201), conn_type: "http", critical: true },
    { conn_id: "not:critical", conn_type: "http" },
  ];
  const problems = new Problems();
  checkEmergencySubset(declared, problems);
  expect(problems.list.map((p) => p.path)).toEqual(["connections[1].critical", "connections[2].critical"]);
  const read = imported("2.10", emergencyImportFile(declared) as string).connections;
  expect(read["ok_id.v-2"]).toMatchObject({ conn_id: "ok_id.v-2", conn_type: "http" });
  expect(read["team:ops"]).toHaveProperty("error");
  expect(read["x".repeat(201)]).toHaveProperty("error");
});

test("the Variable that stores the file carries the same text, known now when every field is", async () => {
  const declared: ConnectionDeclaration[] = [
    { conn_id: "warehouse", conn_type: "postgres", host: "db", critical: true },
  ];
  const variable = emergencyVariable(declared)!;
  expect(variable.key).toBe(EMERGENCY_CONNECTIONS_KEY);
  expect(variable.value).toBe(emergencyImportFile(declared));
  // A value from another resource: the file is an Output, and the plan size-checks it when it resolves.
  const later = emergencyVariable([{ ...declared[0], password: pulumi.output("from-a-resource") }])!;
  expect(pulumi.Output.isInstance(later.value)).toBe(true);
  expect(
    emergencyVariable([{ conn_id: "w", conn_type: "postgres", extra: null as never, critical: true }]),
  ).toBeUndefined();
});
