/** Bad GCP settings fail with one error naming each field and rule, before anything is registered. */
import { installMocks } from "../../cli/synth/mockRuntime";
import { ValidationError } from "../../components/airflow";
import { AirflowSecretsEnvironment, AirflowSecretsEnvironmentConfigArgs } from "../../components/environment";
import { resolveBackendOrThrow } from "../../components/backend";
import { backend } from "../../components/gcp/backend";
import { SecretManagerKeys } from "../../components/gcp/kms";
import { settingsSchema } from "../../components/gcp/schema";
import { SecretManagerStore } from "../../components/gcp/secretStore";
import { MARKER, WRONG_VALUES, fieldPaths, withValue } from "../stackFiles/generated";
import { resolveGcp, rotatedWarehouse } from "./helpers";

const session = installMocks({ project: "airflow-secrets", stack: "prod" });

const NOW = new Date();
const future = (days: number) => new Date(NOW.getTime() + days * 86_400_000).toISOString();

function environmentArgs(
  settings: Record<string, unknown>,
  overrides: Partial<AirflowSecretsEnvironmentConfigArgs> = {},
): AirflowSecretsEnvironmentConfigArgs {
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
    declarations: rotatedWarehouse(),
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
    const problems = problemsOf(() =>
      AirflowSecretsEnvironment.fromConfig(
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
    const problems = problemsOf(() =>
      AirflowSecretsEnvironment.fromConfig(
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
    const problems = problemsOf(() =>
      AirflowSecretsEnvironment.fromConfig(
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
    const problems = problemsOf(() =>
      AirflowSecretsEnvironment.fromConfig(
        "prod",
        environmentArgs({ kms: { rotationPeriod: `${91 * 86_400}s` } }),
      ),
    );
    expect(problems).toEqual([
      { path: "gcp.kms.rotationPeriod", rule: expect.stringMatching(/at most 90 days = 7776000s/) },
    ]);
  });

  it("lists every problem in one error", () => {
    const problems = problemsOf(() =>
      AirflowSecretsEnvironment.fromConfig(
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
    const problems = problemsOf(() =>
      AirflowSecretsEnvironment.fromConfig(
        "prod",
        environmentArgs({ rotation: { vpcConnector: connector } }),
      ),
    );
    const rule = problems.find((p) => p.path === "gcp.rotation.vpcConnector")!.rule;
    expect(rule).toMatch(/is in "europe-west4" but the rotation function runs in "europe-west1"/);
    // The same connector is fine once the function runs in its region (checked without registering anything).
    const args = environmentArgs({ rotation: { vpcConnector: connector, region: "europe-west4" } });
    expect(resolveGcp(args.backendSettings, { declarations: args.declarations }).problems).toEqual([]);
  });

  it("refuses what the rotator cannot rotate, and production without alerting", () => {
    const problems = problemsOf(() =>
      AirflowSecretsEnvironment.fromConfig(
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
      expect.arrayContaining([
        "airflow.connectionFormat",
        "connections[shop].conn_type",
        "gcp.audit.enabled",
      ]),
    );
  });

  it("refuses a bring-your-own key from another location and missing essentials", () => {
    const problems = problemsOf(() =>
      AirflowSecretsEnvironment.fromConfig(
        "dev",
        environmentArgs(
          {
            project: "X",
            locations: ["europe-west1"],
            kms: {
              existing: {
                keys: { "europe-west1": "projects/p/locations/us-east1/keyRings/r/cryptoKeys/k" },
              },
            },
            unknown: 1,
          },
          { environment: "dev" },
        ),
      ),
    );
    expect(paths(problems)).toEqual(
      expect.arrayContaining(["gcp.project", "gcp.kms.existing.keys.europe-west1", "gcp.unknown"]),
    );
    expect(problems.find((p) => p.path === "gcp.kms.existing.keys.europe-west1")!.rule).toMatch(
      /location "us-east1"/,
    );
  });

  it("refuses a key from an earlier release as renamed, with its new path", () => {
    const problems = problemsOf(() =>
      AirflowSecretsEnvironment.fromConfig(
        "prod",
        environmentArgs({
          kms: {
            existingKeys: { "europe-west1": "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k" },
            existingKeyRings: { "europe-west1": "projects/p/locations/europe-west1/keyRings/r" },
          },
        }),
      ),
    );
    expect(problems).toEqual([
      { path: "gcp.kms.existingKeys", rule: "was renamed: write gcp.kms.existing.keys instead" },
      { path: "gcp.kms.existingKeyRings", rule: "was renamed: write gcp.kms.existing.keyRings instead" },
    ]);
  });

  it("refuses the creation settings of KMS when every location brings its own key", () => {
    const key = "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k";
    const problems = problemsOf(() =>
      AirflowSecretsEnvironment.fromConfig(
        "prod",
        environmentArgs({ kms: { keyName: "mine", existing: { keys: { "europe-west1": key } } } }),
      ),
    );
    expect(problems).toEqual([
      { path: "gcp.kms.keyName", rule: expect.stringContaining("gcp.kms.existing brings your own") },
    ]);
  });

  it("validates before building when the backend is used directly, too", () => {
    expect(() =>
      resolveBackendOrThrow(
        backend,
        {
          environment: "dev",
          airflow: { version: "2.10" },
          kubernetes: { namespace: "airflow", serviceAccount: "airflow" },
          declarations: {},
        },
        { project: "acme-data-dev", locations: ["europe-west1"], kms: { rotationPeriod: "8000000s" } },
      ),
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
    AirflowSecretsEnvironment.fromConfig("ok", {
      ...environmentArgs({ rotation: { connections: { warehouse: { nextRotationTime: future(3) } } } }),
      environment: "ok",
    });
    await session.settle();
    expect(session.resources.length).toBeGreaterThan(20);
  });
});

describe("every GCP setting × every wrong type (generated)", () => {
  const base = environmentArgs({
    ciWriter: {
      workloadIdentityPrincipals: [
        "principal://iam.googleapis.com/projects/412345678901/locations/global/workloadIdentityPools/github/subject/repo:acme/infra:ref:refs/heads/main",
      ],
    },
  });
  const settings = base.backendSettings as Record<string, unknown>;
  const resolve = (raw: unknown) =>
    resolveGcp(raw, { owner: "data-platform", declarations: base.declarations });
  const fields = fieldPaths(settingsSchema);

  it("starts from settings that are valid", () => {
    expect(resolve(settings).problems).toEqual([]);
    expect(fields.length).toBeGreaterThan(40);
  });

  it("never throws, refuses at the field's own path, and never prints the value", () => {
    let refused = 0;
    for (const path of fields) {
      for (const [, value] of WRONG_VALUES) {
        const { resolved, problems } = resolve(withValue(settings, path, value));
        const field = `gcp.${path.join(".")}`;
        expect(JSON.stringify(problems)).not.toContain(MARKER);
        if (problems.length === 0) {
          expect(resolved).toBeDefined();
          continue;
        }
        refused++;
        expect(resolved).toBeUndefined();
        // Every problem sits at the field or below it (a misspelt key inside a map it was given).
        for (const problem of problems)
          expect([field, problem.path]).toEqual([
            field,
            expect.stringMatching(new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}($|[.[])`)),
          ]);
      }
    }
    expect(refused).toBeGreaterThan(fields.length * 4);
  });

  it("reads string booleans as written and refuses yes", () => {
    const off = resolve(
      withValue(withValue(settings, ["audit", "enabled"], "false"), ["ciWriter", "manageVersions"], "true"),
    );
    expect(off.problems).toEqual([
      { path: "gcp.audit.enabled", rule: expect.stringContaining("production keeps audit logging on") },
    ]);
    const dev = resolveGcp(
      withValue(withValue(settings, ["audit", "enabled"], "false"), ["ciWriter", "manageVersions"], "true"),
      { environment: "dev" },
    ).resolved!;
    expect(dev.settings.audit.enabled).toBe(false);
    expect(dev.settings.ciWriter.manageVersions).toBe(true);
    expect(resolve(withValue(settings, ["ciWriter", "manageVersions"], "yes")).problems).toEqual([
      { path: "gcp.ciWriter.manageVersions", rule: "must be a boolean (true or false)" },
    ]);
  });

  it("refuses misspelt nested keys instead of ignoring them", () => {
    const raw = withValue(
      withValue(withValue(settings, ["kms", "rotationPeriodd"], "7776000s"), ["audit", "enabeld"], false),
      ["ciWriter", "acountId"],
      "ci-writer",
    );
    expect(resolve(raw).problems.map((p) => p.path)).toEqual([
      "gcp.kms.rotationPeriodd",
      "gcp.ciWriter.acountId",
      "gcp.audit.enabeld",
    ]);
  });

  it("reads a block whose children are all commented out (YAML null) as an empty block", () => {
    const raw = { ...settings, kms: null, ciWriter: null, rotation: null, layout: null, labels: null };
    const { problems, resolved } = resolve(raw);
    expect(problems).toEqual([]);
    expect(resolved!.settings.ciWriter.enabled).toBe(true);
    const nested = resolve({
      ...settings,
      kms: { existing: null },
      audit: { ...(settings.audit as object), sink: null },
    });
    expect(nested.problems).toEqual([]);
    expect(nested.resolved!.settings.kms.existing).toEqual({ keys: {}, keyRings: {} });
    expect(nested.resolved!.settings.audit.sinkType).toBe("bucket");
  });

  it.each([
    [
      "a whole pool",
      "principalSet://iam.googleapis.com/projects/412345678901/locations/global/workloadIdentityPools/github/*",
    ],
    [
      "a whole pool, as a principal",
      "principal://iam.googleapis.com/projects/412345678901/locations/global/workloadIdentityPools/github/*",
    ],
    [
      "a group of the pool",
      "principalSet://iam.googleapis.com/projects/412345678901/locations/global/workloadIdentityPools/github/group/admins",
    ],
    [
      "an attribute wildcard",
      "principalSet://iam.googleapis.com/projects/412345678901/locations/global/workloadIdentityPools/github/attribute.repository/*",
    ],
    ["a workforce (human) pool", "principalSet://iam.googleapis.com/locations/global/workforcePools/staff/*"],
    ["a service account", "serviceAccount:ci@acme.iam.gserviceaccount.com"],
  ])("refuses %s as the CI writer's principal", (_, principal) => {
    expect(
      resolve(withValue(settings, ["ciWriter", "workloadIdentityPrincipals"], [principal])).problems,
    ).toEqual([
      {
        path: "gcp.ciWriter.workloadIdentityPrincipals[0]",
        rule: expect.stringContaining("a whole pool (/*)"),
      },
    ]);
  });

  it("accepts one subject or one attribute value", () => {
    const principals = [
      "principal://iam.googleapis.com/projects/412345678901/locations/global/workloadIdentityPools/github/subject/repo:acme/infra:environment:prod",
      "principalSet://iam.googleapis.com/projects/412345678901/locations/global/workloadIdentityPools/github/attribute.repository/acme/infra",
    ];
    expect(
      resolve(withValue(settings, ["ciWriter", "workloadIdentityPrincipals"], principals)).problems,
    ).toEqual([]);
  });

  it("refuses more labels than GCP takes, and reserved ones", () => {
    const labels = Object.fromEntries(Array.from({ length: 61 }, (_, i) => [`l${i}`, "x"]));
    expect(resolve({ ...settings, labels }).problems).toEqual([
      { path: "gcp.labels", rule: expect.stringContaining("at most 60") },
    ]);
    expect(
      resolve({
        ...settings,
        labels: { "airflow-secrets-environment": "dev", "managed-by": "x", "Bad Key": "x" },
      }).problems.map((p) => p.path),
    ).toEqual(["gcp.labels.airflow-secrets-environment", "gcp.labels.managed-by", "gcp.labels.Bad Key"]);
  });
});

describe("layout prefixes confined to the environment (IAM conditions match by prefix)", () => {
  const resolveLayout = (layout: Record<string, string>) =>
    resolveGcp(environmentArgs({ layout }).backendSettings, { environment: "dev" }).problems.map(
      (p) => p.path,
    );
  it.each([["airflow"], ["airflow-de"], ["airflow-development"], ["prod-connections"]])(
    "refuses %s in a dev stack",
    (prefix) => {
      expect(resolveLayout({ connectionsPrefix: prefix })).toEqual(["gcp.layout.connectionsPrefix"]);
    },
  );
  it.each([["airflow-dev-connections"], ["dev_conn"], ["team-a-dev"]])("accepts %s", (prefix) => {
    expect(resolveLayout({ connectionsPrefix: prefix, variablesPrefix: "airflow-dev-vars" })).toEqual([]);
  });
});
