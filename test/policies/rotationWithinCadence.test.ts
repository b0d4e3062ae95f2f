import type { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { rotationWithinCadence as policy } from "../../policies/policies";
import { awsRotationPeriodSeconds } from "../../policies/rotationWithinCadence";
import { Fixture, resource, runPolicy, secret, violations } from "./harness";

const DAY = 86400;
const postgres = JSON.stringify({
  conn_type: "postgres",
  host: "db.prod.internal",
  login: "airflow_prod",
  password: "pw",
});
const http = JSON.stringify({ conn_type: "http", host: "hooks.slack.com", password: "token" });

function awsConnection(
  stack: string,
  id: string,
  value: string,
  rotationRules?: Record<string, unknown>,
): Fixture[] {
  const arn = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/${stack}/connections/${id}-AbCdEf`;
  const secretResource = resource(
    stack,
    "aws:secretsmanager/secret:Secret",
    id,
    { name: `airflow/${stack}/connections/${id}` },
    { computed: { arn } },
  );
  const version = resource(stack, "aws:secretsmanager/secretVersion:SecretVersion", `${id}-value`, {
    secretId: arn,
    secretString: secret(value),
  });
  const rotation = rotationRules
    ? [
        resource(stack, "aws:secretsmanager/secretRotation:SecretRotation", `${id}-rotation`, {
          secretId: arn,
          rotationRules,
        }),
      ]
    : [];
  return [secretResource, version, ...rotation];
}

describe("rotation-within-cadence", () => {
  it("passes AWS database connections rotated at most every 90 days and ignores API tokens", async () => {
    const resources = [
      ...awsConnection("prod", "warehouse", postgres, { automaticallyAfterDays: 30 }),
      ...awsConnection("prod", "reporting", postgres, {
        scheduleExpression: "rate(90 days)",
        duration: "4h",
      }),
      ...awsConnection("prod", "slack_alerts", http),
    ];
    expect(await violations(policy, resources)).toEqual([]);
  });

  it("reports an AWS database connection without rotation, and one rotated too rarely", async () => {
    expect(await violations(policy, awsConnection("prod", "warehouse", postgres))).toEqual([
      'aws:secretsmanager/secret:Secret "warehouse" holds a postgres connection and has no SecretRotation.',
    ]);
    expect(
      await violations(
        policy,
        awsConnection("prod", "warehouse", postgres, { scheduleExpression: "rate(120 days)" }),
      ),
    ).toEqual([
      'aws:secretsmanager/secretRotation:SecretRotation "warehouse-rotation" rotates every 120 days; the limit is 90 days.',
    ]);
  });

  it("reports a production database connection kept in SSM Parameter Store, which cannot rotate", async () => {
    const parameter = (id: string, value: string) =>
      resource("prod", "aws:ssm/parameter:Parameter", id, {
        name: `/airflow/prod/connections/${id}`,
        type: "SecureString",
        value: secret(value),
      });
    expect(
      await violations(policy, [parameter("warehouse", postgres), parameter("slack_alerts", http)]),
    ).toEqual([
      'aws:ssm/parameter:Parameter "warehouse" holds a postgres connection in SSM Parameter Store, which cannot rotate it; store it in Secrets Manager with a SecretRotation.',
    ]);
  });

  it("recognises connections stored as URIs and honours the configured cadence", async () => {
    const uri = awsConnection("prod", "warehouse", "postgres://airflow:pw@db.prod.internal:5432/analytics", {
      automaticallyAfterDays: 60,
    });
    expect(await violations(policy, uri)).toEqual([]);
    expect(
      await violations(policy, uri, { "rotation-within-cadence": { databasePasswordMaxDays: 30 } }),
    ).toEqual([
      'aws:secretsmanager/secretRotation:SecretRotation "warehouse-rotation" rotates every 60 days; the limit is 30 days.',
    ]);
  });

  it("does not apply to non-production stacks", async () => {
    const analysis = await runPolicy(policy, awsConnection("dev", "warehouse", postgres));
    expect(analysis.violations).toEqual([]);
    expect(analysis.notApplicable).toEqual([
      {
        policy: "rotation-within-cadence",
        reason:
          "applies to production: no AirflowSecretsEnvironment has production on and the stack is not in productionStacks",
      },
    ]);
  });

  it("reads AWS schedules: days, rates in hours or days, monthly crons; anything else is unverifiable", () => {
    expect(awsRotationPeriodSeconds({ automaticallyAfterDays: 7 })).toBe(7 * DAY);
    expect(awsRotationPeriodSeconds({ scheduleExpression: "rate(36 hours)" })).toBe(36 * 3600);
    expect(awsRotationPeriodSeconds({ scheduleExpression: "cron(0 3 1 * ? *)" })).toBeLessThanOrEqual(
      90 * DAY,
    );
    expect(awsRotationPeriodSeconds({ scheduleExpression: "cron(0 3 1 */4 ? *)" })).toBeUndefined();
  });

  it("follows the engine's property dependencies when the secret's ARN is not known yet (first preview)", async () => {
    const secretResource = {
      type: "aws:secretsmanager/secret:Secret",
      name: "warehouse",
      urn: "urn:pulumi:prod::p::aws:secretsmanager/secret:Secret::warehouse",
      props: {},
    };
    const version = {
      type: "aws:secretsmanager/secretVersion:SecretVersion",
      name: "warehouse-value",
      urn: "urn:pulumi:prod::p::aws:secretsmanager/secretVersion:SecretVersion::warehouse-value",
      props: { secretString: postgres },
      propertyDependencies: { secretId: [secretResource] },
    };
    const reported: string[] = [];
    // The stack as the engine hands it: the program's environment component says production.
    const component = {
      type: "airflow-secrets:index:AirflowSecretsEnvironment",
      name: "prod",
      urn: "urn:pulumi:prod::p::airflow-secrets:index:AirflowSecretsEnvironment::prod",
      props: { environment: "prod", production: true },
    };
    const args = {
      resources: [component, secretResource, version].map((r) => ({
        ...r,
        opts: {},
      })) as unknown as PolicyResource[],
      getConfig: () => ({}),
      notApplicable: (reason?: string) => {
        throw new Error(reason);
      },
    } as unknown as StackValidationArgs;
    await policy.validateStack(args, (message) => reported.push(message));
    expect(reported).toEqual([
      'aws:secretsmanager/secret:Secret "warehouse" holds a postgres connection and has no SecretRotation.',
    ]);
  });

  it("checks GCP rotation periods and notification topics", async () => {
    const gcp = (rotation: unknown, topics?: unknown[]) => [
      resource("prod", "gcp:secretmanager/secret:Secret", "warehouse", {
        secretId: "airflow-prod-connections-warehouse",
        rotation,
        topics,
      }),
      resource("prod", "gcp:secretmanager/secretVersion:SecretVersion", "warehouse-value", {
        secret: "warehouse-id",
        secretData: secret(postgres),
      }),
    ];
    const topic = [{ name: "projects/p/topics/rotation" }];
    expect(
      await violations(
        policy,
        gcp({ rotationPeriod: "7776000s", nextRotationTime: "2027-01-01T00:00:00Z" }, topic),
      ),
    ).toEqual([]);
    expect(await violations(policy, gcp({ rotationPeriod: "15552000s" }, topic))).toEqual([
      'gcp:secretmanager/secret:Secret "warehouse" rotates every 180 days; the limit is 90 days.',
    ]);
    expect(await violations(policy, gcp({ rotationPeriod: "2592000s" }))).toEqual([
      'gcp:secretmanager/secret:Secret "warehouse" has a rotation period but no topics: nothing is notified to rotate it.',
    ]);
    expect(await violations(policy, gcp(undefined))).toEqual([
      'gcp:secretmanager/secret:Secret "warehouse" holds a postgres connection and has no rotation.rotationPeriod.',
    ]);
  });

  it("checks Azure expiry dates and the SecretNearExpiry subscription that rotates them", async () => {
    const now = Math.floor(Date.now() / 1000);
    const kvSecret = (expires?: number) =>
      resource("prod", "azure-native:keyvault:Secret", "warehouse", {
        secretName: "airflow-prod-connections-warehouse",
        properties: secret({ value: postgres, ...(expires ? { attributes: { expires } } : {}) }),
      });
    const subscription = resource("prod", "azure-native:eventgrid:SystemTopicEventSubscription", "rotation", {
      filter: { includedEventTypes: ["Microsoft.KeyVault.SecretNearExpiry"] },
    });
    expect(await violations(policy, [kvSecret(now + 60 * DAY), subscription])).toEqual([]);
    expect(await violations(policy, [kvSecret(now + 60 * DAY)])).toEqual([
      "No Event Grid subscription for Microsoft.KeyVault.SecretNearExpiry: Key Vault database secrets are never rotated.",
    ]);
    expect(await violations(policy, [kvSecret(), subscription])).toEqual([
      'azure-native:keyvault:Secret "warehouse" holds a database connection and has no properties.attributes.expires.',
    ]);
    expect((await violations(policy, [kvSecret(now + 365 * DAY), subscription]))[0]).toMatch(
      /expires in 36[45](\.\d)? days; the limit is 90 days/,
    );
  });

  it("checks Vault static and dynamic database roles and Airflow's token lifetime", async () => {
    const kv = resource("prod", "vault:kv/secretV2:SecretV2", "warehouse", {
      mount: "airflow",
      name: "prod/connections/warehouse",
      dataJson: secret(postgres),
    });
    const staticRole = (rotationPeriod: number) =>
      resource("prod", "vault:database/secretBackendStaticRole:SecretBackendStaticRole", "static", {
        name: "airflow-prod-warehouse",
        username: "airflow_prod",
        rotationPeriod,
      });
    const dynamicRole = resource("prod", "vault:database/secretBackendRole:SecretBackendRole", "readonly", {
      defaultTtl: 3600,
      maxTtl: 14400,
    });
    const authRole = (tokenMaxTtl?: number) =>
      resource("prod", "vault:kubernetes/authBackendRole:AuthBackendRole", "airflow", {
        roleName: "airflow-prod",
        tokenTtl: 3600,
        tokenMaxTtl,
      });

    expect(await violations(policy, [kv, staticRole(30 * DAY), authRole(14400)])).toEqual([]);
    expect(await violations(policy, [kv, authRole(14400)])).toEqual([
      'vault:kv/secretV2:SecretV2 "warehouse" holds a postgres connection for login "airflow_prod" and no database static role rotates that login.',
    ]);
    expect(await violations(policy, [kv, staticRole(180 * DAY), dynamicRole, authRole(60 * DAY)])).toEqual([
      'vault:database/secretBackendStaticRole:SecretBackendStaticRole "static" rotates every 180 days; the limit is 90 days.',
      'vault:database/secretBackendRole:SecretBackendRole "readonly" maxTtl is 14400s; dynamic credentials may live 3600s.',
      'vault:kubernetes/authBackendRole:AuthBackendRole "airflow" tokens live up to 60 days; the limit is 30 days.',
    ]);
    expect(await violations(policy, [authRole(undefined)])).toEqual([
      'vault:kubernetes/authBackendRole:AuthBackendRole "airflow" issues tokens without a maximum lifetime: set tokenMaxTtl (or tokenExplicitMaxTtl) <= 30 days.',
    ]);
  });

  it("checks GCP regional secrets like global ones", async () => {
    const regional = (rotation: unknown) => [
      resource("prod", "gcp:secretmanager/regionalSecret:RegionalSecret", "warehouse", {
        secretId: "airflow-prod-connections-warehouse",
        location: "europe-west1",
        rotation,
        topics: [{ name: "projects/p/topics/rotation" }],
      }),
      resource("prod", "gcp:secretmanager/regionalSecretVersion:RegionalSecretVersion", "warehouse-value", {
        secret: "warehouse-id",
        secretData: secret(postgres),
      }),
    ];
    expect(await violations(policy, regional({ rotationPeriod: "7776000s" }))).toEqual([]);
    expect(await violations(policy, regional(undefined))).toEqual([
      'gcp:secretmanager/regionalSecret:RegionalSecret "warehouse" holds a postgres connection and has no rotation.rotationPeriod.',
    ]);
  });

  it("checks database connections stored in Vault KV v1 and generic secrets", async () => {
    const staticRole = resource(
      "prod",
      "vault:database/secretBackendStaticRole:SecretBackendStaticRole",
      "static",
      {
        name: "airflow-prod-warehouse",
        username: "airflow_prod",
        rotationPeriod: 30 * DAY,
      },
    );
    const kvV1 = resource("prod", "vault:kv/secret:Secret", "warehouse", {
      path: "airflow/prod/connections/warehouse",
      dataJson: secret(postgres),
    });
    const generic = resource("prod", "vault:generic/secret:Secret", "reporting", {
      path: "airflow/prod/connections/reporting",
      dataJson: secret(JSON.stringify({ conn_uri: "mysql://reporting_prod:pw@db.prod.internal/reporting" })),
    });
    expect(await violations(policy, [kvV1, staticRole])).toEqual([]);
    expect(await violations(policy, [kvV1, generic, staticRole])).toEqual([
      'vault:generic/secret:Secret "reporting" holds a mysql connection for login "reporting_prod" and no database static role rotates that login.',
    ]);
    expect(await violations(policy, [kvV1])).toEqual([
      'vault:kv/secret:Secret "warehouse" holds a postgres connection for login "airflow_prod" and no database static role rotates that login.',
    ]);
  });
});
