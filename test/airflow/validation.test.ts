import {
  AirflowSettings,
  BackendKind,
  ConnectionDeclaration,
  PlanArgs,
  Problems,
  SecretsDeclarations,
  ValidationError,
  planSecrets,
  validateFernetSettings,
} from "../../components/airflow";

const AIRFLOW: AirflowSettings = { version: "2.10" };
const pg = (overrides: Partial<ConnectionDeclaration> = {}): ConnectionDeclaration => ({
  conn_id: "warehouse",
  conn_type: "postgres",
  host: "db.internal",
  port: 5432,
  login: "airflow",
  password: "pw",
  ...overrides,
});

interface Case {
  name: string;
  backend?: BackendKind;
  declarations?: SecretsDeclarations;
  args?: Partial<PlanArgs>;
  path: string;
  rule: RegExp;
}

const long = (n: number) => "x".repeat(n);

const CASES: Case[] = [
  {
    name: "missing conn_id",
    declarations: { connections: [pg({ conn_id: "" })] },
    path: "connections[0].conn_id",
    rule: /is required/,
  },
  {
    name: "conn_id with a space",
    declarations: { connections: [pg({ conn_id: "ware house" })] },
    path: "connections[ware house].conn_id",
    rule: /Airflow's conn_id rule/,
  },
  {
    name: "conn_id over 250 characters",
    declarations: { connections: [pg({ conn_id: long(251) })] },
    path: `connections[${long(251)}].conn_id`,
    rule: /conn_id rule/,
  },
  {
    name: "conn_id with a quote",
    declarations: { connections: [pg({ conn_id: "it's" })] },
    path: "connections[it's].conn_id",
    rule: /conn_id rule/,
  },
  {
    name: "missing conn_type",
    declarations: { connections: [pg({ conn_type: "" })] },
    path: "connections[warehouse].conn_type",
    rule: /required \(Airflow 3 workers/,
  },
  {
    name: "conn_type that is no URI scheme",
    declarations: { connections: [pg({ conn_type: "post gres" })] },
    path: "connections[warehouse].conn_type",
    rule: /must be a URI scheme/,
  },
  {
    name: "port 0",
    declarations: { connections: [pg({ port: 0 })] },
    path: "connections[warehouse].port",
    rule: /integer from 1 to 65535 \(got 0\)/,
  },
  {
    name: "port 65536",
    declarations: { connections: [pg({ port: 65536 })] },
    path: "connections[warehouse].port",
    rule: /1 to 65535 \(got 65536\)/,
  },
  {
    name: "fractional port",
    declarations: { connections: [pg({ port: 5432.5 })] },
    path: "connections[warehouse].port",
    rule: /integer/,
  },
  {
    name: "host with whitespace",
    declarations: { connections: [pg({ host: "db .internal" })] },
    path: "connections[warehouse].host",
    rule: /whitespace/,
  },
  {
    name: "numeric login",
    declarations: { connections: [pg({ login: 42 as unknown as string })] },
    path: "connections[warehouse].login",
    rule: /must be a string/,
  },
  {
    name: "extra that is a list",
    declarations: { connections: [pg({ extra: [1, 2] as unknown as Record<string, unknown> })] },
    path: "connections[warehouse].extra",
    rule: /JSON object/,
  },
  {
    name: "extra that is a string",
    declarations: { connections: [pg({ extra: "{}" as unknown as Record<string, unknown> })] },
    path: "connections[warehouse].extra",
    rule: /JSON object/,
  },
  {
    name: "a field Airflow does not have",
    declarations: { connections: [{ ...pg(), user: "x" } as ConnectionDeclaration] },
    path: "connections[warehouse].user",
    rule: /not an Airflow connection field/,
  },
  {
    name: "duplicate conn_id",
    declarations: { connections: [pg(), pg()] },
    path: "connections[warehouse].conn_id",
    rule: /duplicates connections\[warehouse\]\.conn_id/,
  },
  {
    name: "unknown rotation strategy",
    declarations: { connections: [pg({ rotation: { strategy: "yearly" as "single-user", everyDays: 30 } })] },
    path: "connections[warehouse].rotation.strategy",
    rule: /"single-user" or "alternating-users"/,
  },
  {
    name: "rotation every 0 days",
    declarations: { connections: [pg({ rotation: { strategy: "single-user", everyDays: 0 } })] },
    path: "connections[warehouse].rotation.everyDays",
    rule: /1 to 365/,
  },
  {
    name: "alternating users without a master",
    declarations: { connections: [pg({ rotation: { strategy: "alternating-users", everyDays: 30 } })] },
    path: "connections[warehouse].rotation.masterConnId",
    rule: /required for alternating-users/,
  },
  {
    name: "rotation master that is not declared",
    declarations: {
      connections: [pg({ rotation: { strategy: "alternating-users", everyDays: 30, masterConnId: "dba" } })],
    },
    path: "connections[warehouse].rotation.masterConnId",
    rule: /"dba", which is not a declared connection/,
  },
  {
    name: "rotation without a password",
    declarations: {
      connections: [pg({ password: undefined, rotation: { strategy: "single-user", everyDays: 30 } })],
    },
    path: "connections[warehouse].rotation",
    rule: /needs a password/,
  },
  {
    name: "missing variable key",
    declarations: { variables: [{ key: "", value: "v" }] },
    path: "variables[0].key",
    rule: /is required/,
  },
  {
    name: "variable key with a space",
    declarations: { variables: [{ key: "my var", value: "v" }] },
    path: "variables[my var].key",
    rule: /letters, digits or/,
  },
  {
    name: "variable value that is a number",
    declarations: { variables: [{ key: "n", value: 3 as unknown as string }] },
    path: "variables[n].value",
    rule: /must be a string/,
  },
  {
    name: "duplicate variable key",
    declarations: {
      variables: [
        { key: "a", value: "1" },
        { key: "a", value: "2" },
      ],
    },
    path: "variables[a].key",
    rule: /duplicates variables\[a\]\.key/,
  },
  {
    name: "config option that is not sensitive",
    declarations: { config: [{ section: "core", option: "dags_folder", value: "/x" }] },
    path: "config[core.dags_folder]",
    rule: /not a sensitive option in any supported Airflow version/,
  },
  {
    name: "config section in upper case",
    declarations: { config: [{ section: "Core", option: "fernet_key", value: "k" }] },
    path: "config[Core.fernet_key].section",
    rule: /lowercase Airflow section/,
  },
  {
    name: "config key with a slash",
    declarations: { config: [{ section: "core", option: "fernet_key", key: "a/b", value: "k" }] },
    path: "config[core.fernet_key].key",
    rule: /letters, digits, _ or -/,
  },
  {
    name: "environment in capitals",
    args: { environment: "Prod" },
    path: "environment",
    rule: /lowercase letters/,
  },
  {
    name: "unparseable Airflow version",
    args: { airflow: { version: "two" } },
    path: "airflow.version",
    rule: /like "2.10"/,
  },
  {
    name: "Airflow 1",
    args: { airflow: { version: "1.10" } },
    path: "airflow.version",
    rule: /Airflow 1\.10 is not a supported version \(supported: "2\.10", "2\.11", "3\.0", "3\.1"\)/,
  },
  {
    name: "unsupported minor version",
    args: { airflow: { version: "2.9.3" } },
    path: "airflow.version",
    rule: /Airflow 2\.9 is not a supported version \(supported: "2\.10"/,
  },
  {
    name: "unquoted YAML version read as a number",
    args: { airflow: { version: 2.1 as unknown as string } },
    path: "airflow.version",
    rule: /number 2\.1.*quote it \(version: "2\.10"\)/,
  },
  {
    name: "missing Airflow version",
    args: { airflow: {} as AirflowSettings },
    path: "airflow.version",
    rule: /is required.*supported: "2\.10"/,
  },
  {
    name: "cache TTL of 0",
    args: { airflow: { version: "2.10", cache: { enabled: true, ttlSeconds: 0 } } },
    path: "airflow.cache.ttlSeconds",
    rule: /1 to 86400/,
  },
  {
    name: "GCP id with a dot",
    backend: "gcp-secret-manager",
    declarations: { connections: [pg({ conn_id: "s3.landing" })] },
    path: "connections[s3.landing].conn_id",
    rule: /GCP Secret Manager ids allow only/,
  },
  {
    name: "GCP id over 255 characters",
    backend: "gcp-secret-manager",
    declarations: { connections: [pg({ conn_id: long(240) })] },
    path: `connections[${long(240)}].conn_id`,
    rule: /at most 255/,
  },
  {
    name: "Azure collision my_conn / my-conn",
    backend: "azure-key-vault",
    declarations: { connections: [pg({ conn_id: "my-conn" }), pg({ conn_id: "my_conn" })] },
    path: "connections[my_conn].conn_id",
    rule: /stores this as "airflow-dev-connections-my-conn", the same secret as connections\[my-conn\]/,
  },
  {
    name: "Azure case-insensitive collision",
    backend: "azure-key-vault",
    declarations: { connections: [pg({ conn_id: "Billing_DB" }), pg({ conn_id: "billing-db" })] },
    path: "connections[billing-db].conn_id",
    rule: /the same secret as connections\[Billing_DB\]/,
  },
  {
    name: "Azure id read as team-scoped",
    backend: "azure-key-vault",
    args: { layout: { connectionsPrefix: "" } },
    declarations: { connections: [pg({ conn_id: "team__conn" })] },
    path: "connections[team__conn].conn_id",
    rule: /team-scoped/,
  },
  {
    name: "Azure name over 127 characters",
    backend: "azure-key-vault",
    declarations: { connections: [pg({ conn_id: long(110) })] },
    path: `connections[${long(110)}].conn_id`,
    rule: /at most 127/,
  },
  {
    name: "Azure id with a dot",
    backend: "azure-key-vault",
    declarations: { connections: [pg({ conn_id: "s3.landing" })] },
    path: "connections[s3.landing].conn_id",
    rule: /letters, digits and -/,
  },
  {
    name: "AWS name with #",
    backend: "aws-secrets-manager",
    declarations: { connections: [pg({ conn_id: "db#1" })] },
    path: "connections[db#1].conn_id",
    rule: /only letters, digits and \/_\+=\.@-/,
  },
  {
    name: "AWS name shaped like an ARN suffix",
    backend: "aws-secrets-manager",
    declarations: { connections: [pg({ conn_id: "orders-abc123" })] },
    path: "connections[orders-abc123].conn_id",
    rule: /hyphen and six characters/,
  },
  {
    name: "AWS name over 512 characters",
    backend: "aws-secrets-manager",
    args: { layout: { connectionsPrefix: long(300) } },
    declarations: { connections: [pg({ conn_id: long(240) })] },
    path: `connections[${long(240)}].conn_id`,
    rule: /at most 512/,
  },
  {
    name: "Airflow 2's webserver secret on Airflow 3",
    args: { airflow: { version: "3.1" } },
    declarations: { config: [{ section: "webserver", option: "secret_key", value: "s" }] },
    path: "config[webserver.secret_key]",
    rule: /Airflow 3\.1 does not treat \[webserver\] secret_key as sensitive.*sensitive in Airflow 2\.10, 2\.11/,
  },
  {
    name: "Airflow 3's JWT secret on Airflow 2",
    declarations: { config: [{ section: "api_auth", option: "jwt_secret", value: "s" }] },
    path: "config[api_auth.jwt_secret]",
    rule: /Airflow 2\.10 does not treat \[api_auth\] jwt_secret as sensitive.*sensitive in Airflow 3\.0, 3\.1/,
  },
  {
    name: "extra using the URI form's reserved key",
    args: { airflow: { version: "2.10", connectionFormat: "uri" } },
    declarations: { connections: [pg({ extra: { __extra__: "x" } })] },
    path: "connections[warehouse].extra.__extra__",
    rule: /is reserved/,
  },
  {
    name: "misspelt cache setting",
    args: { airflow: { version: "2.10", cahce: { enabled: true } } as never },
    declarations: { connections: [pg()] },
    path: "airflow.cahce",
    rule: /is not a known setting \(known: version, cache, connectionFormat, longestTaskHours\)/,
  },
  {
    name: "misspelt rotation setting",
    declarations: {
      connections: [pg({ rotation: { strategy: "single-user", everyDays: 30, everyDay: 30 } as never })],
    },
    path: "connections[warehouse].rotation.everyDay",
    rule: /is not a known setting/,
  },
  {
    name: "misspelt variable field",
    declarations: { variables: [{ key: "bucket", value: "b", valeu: "c" } as never] },
    path: "variables[bucket].valeu",
    rule: /is not a known setting \(known: key, value, description\)/,
  },
  {
    name: "SSM with a separator its class never uses",
    backend: "aws-ssm",
    args: { layout: { sep: ":" } },
    declarations: { connections: [pg()] },
    path: "layout.sep",
    rule: /always joins with "\/".*got ":"/,
  },
  {
    name: "Vault with a separator its class never uses",
    backend: "vault",
    args: { layout: { sep: "-" } },
    declarations: { connections: [pg()] },
    path: "layout.sep",
    rule: /always joins with "\/"/,
  },
  {
    name: "variables sharing the connections prefix",
    backend: "aws-secrets-manager",
    args: { layout: { connectionsPrefix: "airflow/dev/shared", variablesPrefix: "airflow/dev/shared" } },
    declarations: { connections: [pg()] },
    path: "layout.variablesPrefix",
    rule: /must differ from layout.connectionsPrefix/,
  },
  {
    name: "SSM name starting with aws",
    backend: "aws-ssm",
    args: { layout: { connectionsPrefix: "aws/airflow" } },
    declarations: { connections: [pg()] },
    path: "connections[warehouse].conn_id",
    rule: /must not begin with "aws" or "ssm"/,
  },
  {
    name: "Vault path with #",
    backend: "vault",
    declarations: { connections: [pg({ conn_id: "db#1" })] },
    path: "connections[db#1].conn_id",
    rule: /must not contain "#"/,
  },
  {
    name: "Vault path escaping with ..",
    backend: "vault",
    declarations: { connections: [pg({ conn_id: "../prod/x" })] },
    path: "connections[../prod/x].conn_id",
    rule: /empty, "\." or "\.\." segments/,
  },
  {
    name: "Vault path with an empty segment",
    backend: "vault",
    declarations: { connections: [pg({ conn_id: "a//b" })] },
    path: "connections[a//b].conn_id",
    rule: /empty/,
  },
  {
    name: "env var name with a dot",
    backend: "env",
    declarations: { connections: [pg({ conn_id: "s3.landing" })] },
    path: "connections[s3.landing].conn_id",
    rule: /environment variable names/,
  },
  {
    name: "env var upper-case collision",
    backend: "env",
    declarations: { connections: [pg({ conn_id: "my_conn" }), pg({ conn_id: "MY_CONN" })] },
    path: "connections[MY_CONN].conn_id",
    rule: /"AIRFLOW_CONN_MY_CONN", the same secret as connections\[my_conn\]/,
  },
  {
    name: "AWS value over 64 KiB",
    backend: "aws-secrets-manager",
    declarations: { variables: [{ key: "big", value: long(65537) }] },
    path: "variables[big]",
    rule: /65537 bytes; AWS Secrets Manager stores at most 65536/,
  },
  {
    name: "Azure value over 25 KiB",
    backend: "azure-key-vault",
    declarations: { connections: [pg({ extra: { cert: long(26000) } })] },
    path: "connections[warehouse]",
    rule: /Azure Key Vault stores at most 25600/,
  },
  {
    name: "conn_type postgresql (read back as postgres)",
    declarations: { connections: [pg({ conn_type: "postgresql" })] },
    path: "connections[warehouse].conn_type",
    rule: /normalises conn_type on read.*: write "postgres"$/,
  },
  {
    name: "conn_type with dashes (read back with _)",
    backend: "vault",
    declarations: { connections: [pg({ conn_type: "google-cloud-platform" })] },
    path: "connections[warehouse].conn_type",
    rule: /write "google_cloud_platform"/,
  },
  {
    name: "conn_type in capitals",
    declarations: { connections: [pg({ conn_type: "HTTP" })] },
    path: "connections[warehouse].conn_type",
    rule: /write "http"/,
  },
  {
    name: "mixed-case host in the URI form",
    args: { airflow: { version: "3.1", connectionFormat: "uri" } },
    declarations: { connections: [pg({ host: "DB.Example.COM" })] },
    path: "connections[warehouse].host",
    rule: /lower-cases the host.*write "db\.example\.com"/,
  },
  {
    name: "description in the URI form",
    backend: "vault",
    args: { airflow: { version: "2.10", connectionFormat: "uri" } },
    declarations: { connections: [pg({ description: "Warehouse" })] },
    path: "connections[warehouse].description",
    rule: /URI form has no description field.*remove it or use airflow.connectionFormat "json"/,
  },
  {
    name: "variable description where the store keeps none",
    backend: "gcp-secret-manager",
    declarations: { variables: [{ key: "alert_email", value: "a@b.c", description: "Pager" }] },
    path: "variables[alert_email].description",
    rule: /value alone.*remove it/,
  },
  {
    name: "$ in a config value on the env backend",
    backend: "env",
    declarations: {
      config: [{ section: "database", option: "sql_alchemy_conn", value: "postgresql://u@h/$AIRFLOW_HOME" }],
    },
    path: "config[database.sql_alchemy_conn].value",
    rule: /expand_env_var.*use a secrets backend/,
  },
  {
    name: "leading ~ in a config value on the env backend",
    backend: "env",
    declarations: { config: [{ section: "core", option: "fernet_key", value: "~abc" }] },
    path: "config[core.fernet_key].value",
    rule: /leading ~/,
  },
  {
    name: "empty config value read via {option}_secret",
    backend: "vault",
    declarations: { config: [{ section: "core", option: "fernet_key", value: "" }] },
    path: "config[core.fernet_key].value",
    rule: /ignores an empty/,
  },
  {
    name: "sql_alchemy_conn_async on Airflow 3.0 (added in 3.1)",
    backend: "vault",
    args: { airflow: { version: "3.0" } },
    declarations: { config: [{ section: "database", option: "sql_alchemy_conn_async", value: "x" }] },
    path: "config[database.sql_alchemy_conn_async]",
    rule: /Airflow 3\.0 does not treat.*sensitive in Airflow 3\.1/,
  },
  {
    name: "smtp_password on Airflow 3 (no longer in core)",
    backend: "vault",
    args: { airflow: { version: "3.1" } },
    declarations: { config: [{ section: "smtp", option: "smtp_password", value: "x" }] },
    path: "config[smtp.smtp_password]",
    rule: /Airflow 3\.1 does not treat \[smtp\] smtp_password.*sensitive in Airflow 2\.10, 2\.11/,
  },
  {
    name: "non-ASCII conn_id on Airflow 2 (re2's ASCII \\w)",
    backend: "vault",
    declarations: { connections: [pg({ conn_id: "café_données" })] },
    path: "connections[café_données].conn_id",
    rule: /Airflow 2\.10 checks conn_ids with re2.*conn_id None/,
  },
  {
    name: "non-finite number in extra",
    declarations: { connections: [pg({ extra: { timeout: Number.NaN } })] },
    path: "connections[warehouse].extra",
    rule: /non-finite number/,
  },
  {
    name: "password with an unpaired surrogate",
    declarations: { connections: [pg({ password: "pw\uD800x" })] },
    path: "connections[warehouse].password",
    rule: /unpaired UTF-16 surrogate/,
  },
  {
    name: "connections that are not a list",
    declarations: { connections: { a: 1 } as unknown as ConnectionDeclaration[] },
    path: "connections",
    rule: /must be a list/,
  },
];

function problemsOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("every bad declaration is rejected with the field path and the rule", () => {
  it("has at least 25 distinct cases", () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBeGreaterThanOrEqual(25);
  });

  it.each(CASES)("$name", (c) => {
    const error = problemsOf(() =>
      planSecrets({
        backend: c.backend ?? "env",
        environment: "dev",
        airflow: AIRFLOW,
        declarations: c.declarations ?? {},
        ...c.args,
      }),
    );
    const match = error.problems.find((p) => p.path === c.path && c.rule.test(p.rule));
    if (!match) throw new Error(`no problem at ${c.path} matching ${c.rule}; got:\n${error.message}`);
    expect(error.message).toContain(`${c.path}: `);
  });
});

describe("problems are collected, not thrown one by one", () => {
  it("lists every problem of a declaration in one error", () => {
    const error = problemsOf(() =>
      planSecrets({
        backend: "env",
        environment: "Dev",
        airflow: { version: "x" },
        declarations: {
          connections: [pg({ port: -1 }), pg({ conn_id: "b", conn_type: "" })],
          variables: [{ key: "", value: "v" }],
        },
      }),
    );
    expect(error.problems.map((p) => p.path).sort()).toEqual(
      [
        "airflow.version",
        "connections[b].conn_type",
        "connections[warehouse].port",
        "environment",
        "variables[0].key",
      ].sort(),
    );
    expect(error.message).toMatch(/invalid \(5 problems\)/);
  });

  it("accepts a valid declaration for every backend", () => {
    for (const backend of [
      "env",
      "vault",
      "aws-secrets-manager",
      "aws-ssm",
      "gcp-secret-manager",
      "azure-key-vault",
    ] as const) {
      const plan = planSecrets({
        backend,
        environment: "dev",
        airflow: AIRFLOW,
        declarations: { connections: [pg()], variables: [{ key: "alert_email", value: "a@b.c" }] },
      });
      expect(plan.secrets.map((s) => s.kind)).toEqual(["connection", "variable"]);
    }
  });
});

describe("Fernet settings", () => {
  const problems = (settings: Parameters<typeof validateFernetSettings>[0]) => {
    const collected = new Problems();
    validateFernetSettings(settings, collected);
    return collected.list;
  };
  it("needs at least one generation", () => {
    expect(problems({ generations: [] })).toEqual([
      { path: "fernet.generations", rule: "must list at least one key generation" },
    ]);
  });
  it("needs two generations for a rotation window", () => {
    expect(problems({ generations: ["a"], rotationInProgress: true })[0].path).toBe(
      "fernet.rotationInProgress",
    );
  });
  it("rejects repeated and malformed generations", () => {
    expect(problems({ generations: ["q1", "q1", "Q 2"] }).map((p) => p.path)).toEqual([
      "fernet.generations[2]",
      "fernet.generations",
    ]);
  });
});

describe("what the fidelity rules let through", () => {
  const plan = (args: Partial<PlanArgs>) =>
    planSecrets({ backend: "env", environment: "dev", airflow: AIRFLOW, declarations: {}, ...args });

  it("keeps __extra__ as an ordinary key in the JSON form, which reads it back exactly", () => {
    expect(() => plan({ declarations: { connections: [pg({ extra: { __extra__: "x" } })] } })).not.toThrow();
  });

  it("accepts a mixed-case host in the JSON form, which reads it verbatim", () => {
    expect(() => plan({ declarations: { connections: [pg({ host: "DB.Example.COM" })] } })).not.toThrow();
  });

  it("accepts a non-ASCII conn_id on Airflow 3, whose sanitize_conn_id uses Python's re", () => {
    expect(() =>
      plan({
        backend: "vault",
        airflow: { version: "3.1" },
        declarations: { connections: [pg({ conn_id: "café_données" })] },
      }),
    ).not.toThrow();
  });

  it("reads $ verbatim through {option}_secret, so only the env backend refuses it", () => {
    expect(() =>
      plan({
        backend: "vault",
        declarations: {
          config: [
            { section: "database", option: "sql_alchemy_conn", value: "postgresql://u@h/$AIRFLOW_HOME" },
          ],
        },
      }),
    ).not.toThrow();
  });

  it("keeps a description AWS Secrets Manager's backend drops as the secret's own description", () => {
    const planned = plan({
      backend: "aws-secrets-manager",
      declarations: {
        connections: [pg({ description: "Analytics warehouse" })],
        variables: [{ key: "alert_email", value: "a@b.c", description: "Pager address" }],
      },
    });
    expect(planned.secrets.map((s) => s.description)).toEqual(["Analytics warehouse", "Pager address"]);
    expect(planned.profile.descriptionInStore).toBe("the secret's Description");
  });

  it("never repeats a secret value in a refusal", () => {
    const secret = "Sup3r$ecret\uD800";
    const error = problemsOf(() =>
      plan({
        declarations: {
          connections: [pg({ password: secret, extra: { token: secret, n: Infinity } })],
          variables: [{ key: "v", value: secret }],
          config: [{ section: "core", option: "fernet_key", value: secret }],
        },
      }),
    );
    expect(error.problems.length).toBeGreaterThanOrEqual(4);
    expect(error.message).not.toContain("Sup3r");
  });
});
