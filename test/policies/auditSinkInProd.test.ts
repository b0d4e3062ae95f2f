import { auditSinkInProd as policy } from "../../policies/policies";
import { Fixture, resource, runPolicy, secret, violations } from "./harness";

const awsSecret = resource("prod", "aws:secretsmanager/secret:Secret", "warehouse", {
  name: "airflow/prod/connections/warehouse",
});
const trail = (inputs: Record<string, unknown> = {}) =>
  resource("prod", "aws:cloudtrail/trail:Trail", "audit", {
    name: "airflow-prod-secrets",
    s3BucketName: "audit",
    ...inputs,
  });

describe("audit-sink-in-prod", () => {
  it("passes an AWS store with a CloudTrail trail recording read management events", async () => {
    expect(await violations(policy, [awsSecret, trail()])).toEqual([]);
    expect(
      await violations(policy, [
        awsSecret,
        trail({ eventSelectors: [{ includeManagementEvents: true, readWriteType: "ReadOnly" }] }),
      ]),
    ).toEqual([]);
    const advanced = {
      advancedEventSelectors: [
        { name: "mgmt", fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
      ],
    };
    expect(await violations(policy, [awsSecret, trail(advanced)])).toEqual([]);
  });

  it("reports an AWS store with no trail, a stopped trail, or one that skips reads", async () => {
    expect(await violations(policy, [awsSecret])).toEqual([
      "Airflow secrets are stored in AWS but no CloudTrail trail with logging on records GetSecretValue.",
    ]);
    expect(await violations(policy, [awsSecret, trail({ enableLogging: false })])).toHaveLength(1);
    expect(
      await violations(policy, [awsSecret, trail({ eventSelectors: [{ readWriteType: "WriteOnly" }] })]),
    ).toEqual([
      'aws:cloudtrail/trail:Trail "audit" record no read management events: GetSecretValue calls would go unlogged.',
    ]);
  });

  it("requires DATA_READ audit logs for GCP Secret Manager", async () => {
    const gcpSecret = resource("prod", "gcp:secretmanager/secret:Secret", "w", {
      secretId: "airflow-prod-connections-w",
    });
    const audit = (logType: string) =>
      resource("prod", "gcp:projects/iAMAuditConfig:IAMAuditConfig", "audit", {
        project: "acme",
        service: "secretmanager.googleapis.com",
        auditLogConfigs: [{ logType }],
      });
    expect(await violations(policy, [gcpSecret, audit("DATA_READ")])).toEqual([]);
    expect((await violations(policy, [gcpSecret, audit("ADMIN_READ")]))[0]).toMatch(
      /no IAMAuditConfig enables DATA_READ/,
    );
  });

  it("requires AuditEvent diagnostics with a destination on each Key Vault", async () => {
    const vault = resource("prod", "azure-native:keyvault:Vault", "kv", {
      vaultName: "kv-airflow-prod",
      properties: {},
    });
    const setting = (logs: unknown[], destination = { workspaceId: "workspace-id" }) =>
      resource("prod", "azure-native:monitor:DiagnosticSetting", "diag", {
        resourceUri: "kv-id",
        logs,
        ...destination,
      });
    expect(await violations(policy, [vault, setting([{ categoryGroup: "audit", enabled: true }])])).toEqual(
      [],
    );
    expect(await violations(policy, [vault, setting([{ category: "AuditEvent", enabled: true }])])).toEqual(
      [],
    );
    expect(
      await violations(policy, [
        vault,
        setting([{ category: "AzurePolicyEvaluationDetails", enabled: true }]),
      ]),
    ).toEqual([
      'azure-native:keyvault:Vault "kv" has no diagnostic setting sending AuditEvent logs to a workspace, storage account or event hub.',
    ]);
    expect(
      await violations(policy, [
        vault,
        setting([{ category: "AuditEvent", enabled: true }], {} as { workspaceId: string }),
      ]),
    ).toHaveLength(1);
  });

  it("requires a Vault audit device when secrets are in Vault", async () => {
    const kv = resource("prod", "vault:kv/secretV2:SecretV2", "w", {
      mount: "airflow",
      name: "prod/connections/w",
      dataJson: secret("{}"),
    });
    const device = resource("prod", "vault:index/audit:Audit", "audit", {
      type: "file",
      options: { file_path: "/vault/audit.log" },
    });
    expect(await violations(policy, [kv, device])).toEqual([]);
    expect(await violations(policy, [kv])).toEqual([
      "Airflow secrets are stored in Vault but the stack enables no vault.Audit device.",
    ]);
  });

  it("reports the env backend's Kubernetes Secret in production unless the cluster audit is acknowledged", async () => {
    const envSecret: Fixture = resource("prod", "kubernetes:core/v1:Secret", "prod-env-secret", {
      metadata: { name: "airflow-prod-secrets" },
      stringData: secret({ AIRFLOW_CONN_WAREHOUSE: "postgres://…" }),
    });
    expect((await violations(policy, [envSecret]))[0]).toMatch(
      /^kubernetes:core\/v1:Secret "prod-env-secret" holds Airflow secrets in a Kubernetes Secret/,
    );
    expect(
      await violations(policy, [envSecret], { "audit-sink-in-prod": { externallyAudited: ["kubernetes"] } }),
    ).toEqual([]);
    const other = resource("prod", "kubernetes:core/v1:Secret", "tls", {
      stringData: secret({ "tls.crt": "x" }),
    });
    expect(await violations(policy, [other])).toEqual([]);
  });

  it("does not apply outside production", async () => {
    const analysis = await runPolicy(policy, [
      resource("dev", "aws:secretsmanager/secret:Secret", "w", { name: "airflow/dev/connections/w" }),
    ]);
    expect(analysis.violations).toEqual([]);
    expect(analysis.notApplicable.map((n) => n.policy)).toEqual(["audit-sink-in-prod"]);
  });
});
