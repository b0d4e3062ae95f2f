/**
 * Stack files are read the way Pulumi reads them (issue 15): merge keys (`<<: *x`, `<<: [*a, *b]`)
 * are accepted and applied with the map's own keys winning, anchors and aliases resolve, a block left
 * as YAML null is absent, invalid UTF-8 and duplicate keys are refused with a clear error that names
 * where, never what (no value, no stack trace). Through `airflow-secrets synth --config-file`, in
 * process, and through the reader itself (`cli/synth/stackFile.ts`).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RecordedResource, SECRET_SIG_KEY } from "../../cli/synth/mockRuntime";
import { readYamlFile } from "../../cli/synth/stackFile";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";
import { STACK_TRACE, synthInProcess } from "./corpus";

jest.setTimeout(300_000);

const MARKER = "hunter2-MARKER-yaml-5d2a";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "yaml-reading-"));
let written = 0;

function write(content: string | Buffer): string {
  const file = path.join(dir, `Pulumi.yaml-${written++}.yaml`);
  fs.writeFileSync(file, content);
  return file;
}

/** A valid env stack file; `connections` and `variables` are the YAML under those keys. */
function stack({
  connections,
  variables,
  extra = "",
}: {
  connections: string;
  variables: string;
  extra?: string;
}) {
  return `config:
  airflow-secrets:environment: dev
  airflow-secrets:backend: env
  airflow-secrets:airflow:
    version: "2.10"
  airflow-secrets:kubernetes:
    namespace: airflow-dev
    serviceAccount: airflow
  airflow-secrets:connections:
${connections}
  airflow-secrets:variables:
${variables}
${extra}`;
}

const PLAIN_CONNECTIONS = `    - conn_id: warehouse
      conn_type: postgres
      host: warehouse.dev.internal`;
const PLAIN_VARIABLES = `    - key: alert_email
      value: alerts@example.com`;

/** The env backend's Secret as synth registered it: variable name → stored value. */
async function storedValues(file: string): Promise<Record<string, string>> {
  const { result } = await synthFromArgs(parseSynthArgs(["--config-file", file]));
  const secrets = result.raw.filter((r: RecordedResource) => r.type === "kubernetes:core/v1:Secret");
  expect(secrets).toHaveLength(1);
  const stringData = secrets[0].inputs.stringData as {
    [SECRET_SIG_KEY]: string;
    value: Record<string, string>;
  };
  expect(stringData[SECRET_SIG_KEY]).toBeDefined();
  return stringData.value;
}

async function refused(content: string | Buffer) {
  const outcome = await synthInProcess(write(content));
  const output = outcome.stdout + outcome.stderr;
  expect(outcome.status).toBe(1);
  expect(outcome.stdout).toBe("");
  expect(STACK_TRACE.test(output)).toBe(false);
  expect(output).not.toContain(MARKER);
  return outcome.stderr;
}

describe("merge keys and anchors, as Pulumi applies them", () => {
  it("applies a merge key, the item's own keys winning over the merged ones", async () => {
    const values = await storedValues(
      write(
        stack({
          connections: `    - <<: &api
        conn_type: http
        host: api.example.com
        schema: https
      conn_id: partner_api
    - <<: *api
      conn_id: partner_api_eu
      host: eu.api.example.com`,
          variables: PLAIN_VARIABLES,
        }),
      ),
    );
    expect(JSON.parse(values.AIRFLOW_CONN_PARTNER_API)).toEqual({
      conn_type: "http",
      host: "api.example.com",
      schema: "https",
    });
    expect(JSON.parse(values.AIRFLOW_CONN_PARTNER_API_EU)).toEqual({
      conn_type: "http",
      host: "eu.api.example.com",
      schema: "https",
    });
  });

  it("applies a list of merged maps, the earlier one winning", async () => {
    const values = await storedValues(
      write(
        stack({
          connections: `    - conn_id: base
      <<: [&first {conn_type: http, host: first.example.com}, &second {host: second.example.com, port: 8443}]
    - conn_id: again
      <<: [*second, *first]`,
          variables: PLAIN_VARIABLES,
        }),
      ),
    );
    expect(JSON.parse(values.AIRFLOW_CONN_BASE)).toEqual({
      conn_type: "http",
      host: "first.example.com",
      port: 8443,
    });
    expect(JSON.parse(values.AIRFLOW_CONN_AGAIN)).toEqual({
      conn_type: "http",
      host: "second.example.com",
      port: 8443,
    });
  });

  it("resolves anchors and aliases of scalars and maps", async () => {
    const values = await storedValues(
      write(
        stack({
          connections: `    - conn_id: primary
      conn_type: postgres
      host: &db db.internal
      extra: &tls
        sslmode: verify-full
    - conn_id: replica
      conn_type: postgres
      host: *db
      extra: *tls`,
          variables: `    - key: alert_email
      value: &email alerts@example.com
    - key: oncall_email
      value: *email`,
        }),
      ),
    );
    expect(JSON.parse(values.AIRFLOW_CONN_REPLICA)).toEqual(JSON.parse(values.AIRFLOW_CONN_PRIMARY));
    expect(JSON.parse(values.AIRFLOW_CONN_REPLICA)).toMatchObject({ host: "db.internal" });
    expect(values.AIRFLOW_VAR_ONCALL_EMAIL).toBe("alerts@example.com");
    expect(values.AIRFLOW_VAR_ALERT_EMAIL).toBe("alerts@example.com");
  });

  it("reads the same document through the reader itself", () => {
    const file = write("a: &x {k: 1, j: 2}\nb:\n  <<: *x\n  j: 3\n");
    expect(readYamlFile(file)).toEqual({ a: { k: 1, j: 2 }, b: { k: 1, j: 3 } });
  });
});

describe("a block left as YAML null", () => {
  it("is absent: `airflow-secrets:env:` with its children commented out plans as if not written", async () => {
    const without = await storedValues(
      write(stack({ connections: PLAIN_CONNECTIONS, variables: PLAIN_VARIABLES })),
    );
    const withNull = await storedValues(
      write(
        stack({
          connections: PLAIN_CONNECTIONS,
          variables: PLAIN_VARIABLES,
          extra: "  airflow-secrets:env:\n    # secretName: airflow-dev-secrets\n",
        }),
      ),
    );
    expect(Object.keys(without)).toEqual(["AIRFLOW_CONN_WAREHOUSE", "AIRFLOW_VAR_ALERT_EMAIL"]);
    expect(withNull).toEqual(without);
  });
});

describe("what Pulumi refuses", () => {
  it("refuses invalid UTF-8 by name, without the bytes or a trace", async () => {
    const latin1 = Buffer.from(
      stack({
        connections: `${PLAIN_CONNECTIONS}\n      description: caf\xe9 ${MARKER}`,
        variables: PLAIN_VARIABLES,
      }),
      "latin1",
    );
    const stderr = await refused(latin1);
    expect(stderr).toMatch(/is not valid UTF-8/);
  });

  it("refuses a UTF-8 file with a lone surrogate half or an overlong encoding", async () => {
    const text = stack({ connections: PLAIN_CONNECTIONS, variables: PLAIN_VARIABLES });
    for (const bad of [Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf])]) {
      const stderr = await refused(
        Buffer.concat([Buffer.from(`# ${MARKER} `), bad, Buffer.from(`\n${text}`)]),
      );
      expect(stderr).toMatch(/is not valid UTF-8/);
    }
  });

  // Where the second copy of a key sits, as YAML lines below `config:`.
  const duplicates: Array<[string, string]> = [
    [
      "a top-level config key",
      stack({
        connections: PLAIN_CONNECTIONS,
        variables: PLAIN_VARIABLES,
        extra: `  airflow-secrets:environment: ${MARKER}\n`,
      }),
    ],
    [
      "a key of a list item",
      stack({
        connections: `${PLAIN_CONNECTIONS}\n      password: ${MARKER}-one\n      password: ${MARKER}-two`,
        variables: PLAIN_VARIABLES,
      }),
    ],
    [
      "a key of a nested map",
      stack({
        connections: `${PLAIN_CONNECTIONS}\n      extra:\n        token: ${MARKER}-one\n        token: ${MARKER}-two`,
        variables: PLAIN_VARIABLES,
      }),
    ],
    [
      "a key brought in twice in flow style",
      stack({
        connections: `    - {conn_id: api, conn_type: http, password: ${MARKER}-one, password: ${MARKER}-two}`,
        variables: PLAIN_VARIABLES,
      }),
    ],
  ];

  it.each(duplicates)(
    "refuses a duplicate key in %s, naming the line and never the values",
    async (_, text) => {
      const stderr = await refused(text);
      expect(stderr).toMatch(/line \d+, column \d+: a key is given twice in the same map/);
    },
  );

  it("the reader's own error for a duplicate key carries no value", () => {
    const file = write(`password: ${MARKER}-one\npassword: ${MARKER}-two\n`);
    let message = "";
    try {
      readYamlFile(file);
    } catch (error) {
      message = String((error as Error).message);
    }
    expect(message).toMatch(/line 2, column 1: a key is given twice/);
    expect(message).not.toContain(MARKER);
  });
});
