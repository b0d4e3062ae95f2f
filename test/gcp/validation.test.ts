/** Bad GCP settings fail with one error naming each field and rule, before anything is registered. */
import { installMocks } from "../../cli/synth/mockRuntime";
import { Problems, ValidationError } from "../../components/airflow";
import { AirflowSecretsEnvironment, AirflowSecretsEnvironmentArgs } from "../../components/environment";
import { GcpAirflowSecrets } from "../../components/gcp/gcpAirflowSecrets";
import { SecretManagerKeys } from "../../components/gcp/kms";
import { SecretManagerStore } from "../../components/gcp/secretStore";
import { GcpBackendSettings, resolveGcpSettings } from "../../components/gcp/settings";

const session = installMocks({ project: "airflow-secrets", stack: "prod" });

const NOW = new Date();
const future = (days: number) => new Date(NOW.getTime() + days * 86_400_000).toISOString();

function environmentArgs(
  settings: Record<string, unknown>,
  overrides: Partial<AirflowSecretsEnvironmentArgs> = {},
): AirflowSecretsEnvironmentArgs {
  return {
    environment: "prod",
    backend: "gcp",
    airflow: { version: "2.10" },
    kubernetes: { namespace: "airflow", serviceAccount: "airflow" },
    backendSettings: {
      project: "acme-data-prod",
      locations: ["europe-west1"],
      audit: { notificationChannels: ["projects/acme-data-prod/notificationChannels/1"] },
      ...settings,
    },
    declarations: {
      connections: [
        {
          conn_id: "warehouse",
          conn_type: "postgres",
          host: "db",
          login: "airflow",
          password: "pw",
          rotation: { strategy: "single-user", everyDays: 30 },
        },
      ],
      variables: [{ key: "region", value: "eu" }],
    },
    ...overrides,
  };
}

function problemsOf(build: () => unknown): Array<{ path: string; rule: string }> {
  try {
    build();
  } catch (error) {
    if (error instanceof ValidationError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a ValidationError");
}

const paths = (problems: Array<{ path: string }>) => problems.map((p) => p.path);

describe("bad GCP settings", () => {
  it("refuses a prefix Secret Manager cannot hold", () => {
    const problems = problemsOf(
      () =>
        new AirflowSecretsEnvironment(
          "prod",
          environmentArgs({ layout: { connectionsPrefix: "airflow/prod/connections" } }),
        ),
    );
    const layout = problems.find((p) => p.path === "gcp.layout.connectionsPrefix")!;
    expect(layout.rule).toMatch(/only letters, digits, _ and -/);
    // Rules never quote the value: a secret pasted into the wrong field is not printed back.
    expect(layout.rule).not.toContain("airflow/prod/connections");
  });

  it("refuses a Secret Manager rotation period under one hour", () => {
    const problems = problemsOf(
      () =>
        new AirflowSecretsEnvironment(
          "prod",
          environmentArgs({ rotation: { connections: { warehouse: { rotationPeriod: "1800s" } } } }),
        ),
    );
    expect(problems).toEqual([
      {
        path: "gcp.rotation.connections.warehouse.rotationPeriod",
        rule: expect.stringMatching(/at least 3600s/),
      },
    ]);
  });

  it("refuses a next rotation time in the past", () => {
    const problems = problemsOf(
      () =>
        new AirflowSecretsEnvironment(
          "prod",
          environmentArgs({
            rotation: { connections: { warehouse: { nextRotationTime: "2020-01-01T03:00:00Z" } } },
          }),
        ),
    );
    expect(problems).toEqual([
      {
        path: "gcp.rotation.connections.warehouse.nextRotationTime",
        rule: expect.stringMatching(/in the past.*2020-01-01T03:00:00Z/),
      },
    ]);
  });

  it("refuses a KMS rotation period over 90 days", () => {
    const problems = problemsOf(
      () =>
        new AirflowSecretsEnvironment(
          "prod",
          environmentArgs({ kms: { rotationPeriod: `${91 * 86_400}s` } }),
        ),
    );
    expect(problems).toEqual([
      { path: "gcp.kms.rotationPeriod", rule: expect.stringMatching(/at most 90 days = 7776000s/) },
    ]);
  });

  it("lists every problem in one error", () => {
    const problems = problemsOf(
      () =>
        new AirflowSecretsEnvironment(
          "prod",
          environmentArgs({
            layout: { variablesPrefix: "/vars" },
            kms: { rotationPeriod: "90d" },
            rotation: {
              connections: { warehouse: { rotationPeriod: "60s", nextRotationTime: "yesterday" }, ghost: {} },
            },
            audit: { notificationChannels: [] },
            locations: ["europe-west1", "us"],
          }),
        ),
    );
    expect(paths(problems)).toEqual(
      expect.arrayContaining([
        "gcp.layout.variablesPrefix",
        "gcp.kms.rotationPeriod",
        "gcp.rotation.connections.warehouse.rotationPeriod",
        "gcp.rotation.connections.warehouse.nextRotationTime",
        "gcp.rotation.connections.ghost",
        "gcp.audit.notificationChannels",
        "gcp.locations[1]",
      ]),
    );
  });

  it("refuses a VPC connector outside the rotation function's region", () => {
    const connector = "projects/acme-net/locations/europe-west4/connectors/airflow-db";
    const problems = problemsOf(
      () => new AirflowSecretsEnvironment("prod", environmentArgs({ rotation: { vpcConnector: connector } })),
    );
    const rule = problems.find((p) => p.path === "gcp.rotation.vpcConnector")!.rule;
    expect(rule).toMatch(/is in "europe-west4" but the rotation function runs in "europe-west1"/);
    // The same connector is fine once the function runs in its region (checked without registering anything).
    const ok = new Problems();
    const args = environmentArgs({ rotation: { vpcConnector: connector, region: "europe-west4" } });
    resolveGcpSettings(
      {
        environment: "prod",
        production: true,
        declarations: args.declarations,
        settings: args.backendSettings as unknown as GcpBackendSettings,
      },
      ok,
    );
    expect(ok.list).toEqual([]);
  });

  it("refuses what the rotator cannot rotate, and production without alerting", () => {
    const problems = problemsOf(
      () =>
        new AirflowSecretsEnvironment(
          "prod",
          environmentArgs(
            { audit: { enabled: false } },
            {
              airflow: { version: "2.10", connectionFormat: "uri" },
              declarations: {
                connections: [
                  {
                    conn_id: "shop",
                    conn_type: "mysql",
                    host: "db",
                    login: "u",
                    password: "p",
                    rotation: { strategy: "single-user", everyDays: 30 },
                  },
                ],
              },
            },
          ),
        ),
    );
    expect(paths(problems)).toEqual(
      expect.arrayContaining(["airflow.connectionFormat", "connections[shop].rotation", "gcp.audit.enabled"]),
    );
  });

  it("refuses a bring-your-own key from another location and missing essentials", () => {
    const problems = problemsOf(
      () =>
        new AirflowSecretsEnvironment(
          "dev",
          environmentArgs(
            {
              project: "X",
              locations: ["europe-west1"],
              kms: {
                existingKeys: { "europe-west1": "projects/p/locations/us-east1/keyRings/r/cryptoKeys/k" },
              },
              unknown: 1,
            },
            { environment: "dev" },
          ),
        ),
    );
    expect(paths(problems)).toEqual(
      expect.arrayContaining(["gcp.project", "gcp.kms.existingKeys.europe-west1", "gcp.unknown"]),
    );
    expect(problems.find((p) => p.path === "gcp.kms.existingKeys.europe-west1")!.rule).toMatch(
      /location "us-east1"/,
    );
  });

  it("validates the components used directly, too", () => {
    expect(
      () =>
        new GcpAirflowSecrets("direct", {
          environment: "dev",
          airflow: { version: "2.10" },
          kubernetes: { namespace: "airflow", serviceAccount: "airflow" },
          declarations: {},
          settings: {
            project: "acme-data-dev",
            locations: ["europe-west1"],
            kms: { rotationPeriod: "8000000s" },
          },
        }),
    ).toThrow(/gcp\.kms\.rotationPeriod: must be more than 1 day .* at most 90 days/);
    expect(
      () =>
        new SecretManagerKeys("keys", {
          project: "acme-data-dev",
          locations: ["europe-west1"],
          rotationPeriod: "86400s",
          keyRingName: "r",
          keyName: "k",
          serviceAgentMember: "serviceAccount:x",
        }),
    ).toThrow(/rotationPeriod: must be more than 1 day/);
    expect(
      () =>
        new SecretManagerStore("store", {
          project: "acme-data-dev",
          secrets: [],
          keys: {},
          labels: {},
        }),
    ).toThrow(/keys: must give a KMS key/);
  });

  it("registered nothing at all", async () => {
    await session.settle();
    expect(session.resources).toEqual([]);
    // A valid configuration in the same session does register (the session records).
    new AirflowSecretsEnvironment("ok", {
      ...environmentArgs({ rotation: { connections: { warehouse: { nextRotationTime: future(3) } } } }),
      environment: "ok",
    });
    await session.settle();
    expect(session.resources.length).toBeGreaterThan(20);
  });
});
