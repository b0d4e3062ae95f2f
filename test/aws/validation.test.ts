/**
 * Bad input is refused with every problem named by its path and rule, before anything at all is
 * registered — through the environment (stack settings) and through each component directly.
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { ACCOUNT, awsEnvironmentArgs, awsPrepareProblems } from "./harness";
import type { ValidationError as ValidationErrorType } from "../../components/airflow";

const session = installMocks({ project: "airflow-secrets", stack: "validation" });
/* eslint-disable @typescript-eslint/no-require-imports */
const { AirflowSecretsEnvironment } =
  require("../../components/environment") as typeof import("../../components/environment");
const aws = require("../../components/aws") as typeof import("../../components/aws");
const { ValidationError } = require("../../components/airflow") as typeof import("../../components/airflow");

const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** Runs `build`, expects a ValidationError, and returns its problems as `path: rule` lines. */
async function refused(build: () => unknown): Promise<string[]> {
  let error: unknown;
  try {
    build();
  } catch (caught) {
    error = caught;
  }
  await session.settle();
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationErrorType).problems.map((p) => `${p.path}: ${p.rule}`);
}

const environment =
  (env: string, settings: Record<string, unknown>, extra = {}) =>
  () =>
    AirflowSecretsEnvironment.fromConfig(
      `${env}-${Math.random().toString(36).slice(2, 8)}`,
      awsEnvironmentArgs(env, settings, extra),
    );

afterEach(() => {
  // Nothing may ever be registered by a refused declaration, not even the environment component.
  expect(session.resources).toEqual([]);
});

describe("stack settings (airflow-secrets:aws) are refused before any resource", () => {
  it("a replica in the primary region, or twice", async () => {
    const problems = await refused(
      environment("prod", { replicaRegions: ["eu-west-1", "eu-central-1", "eu-central-1"] }),
    );
    expect(problems).toEqual([
      "aws.replicaRegions[0]: is the primary region; a replica must live in another region",
      "aws.replicaRegions[2]: repeats an earlier region",
    ]);
  });

  it.each([
    [{ variablesPrefix: "*" }, "variablesPrefix"],
    [{ connectionsPrefix: "airflow", sep: "" }, "connectionsPrefix"],
    [{ connectionsPrefix: "airflow/dev", sep: "" }, "connectionsPrefix"],
    [{ configPrefix: "airflow/dev-old/config" }, "configPrefix"],
    [{ configPrefix: "airflow//dev/config" }, "configPrefix"],
    [{ variablesPrefix: "" }, "variablesPrefix"],
  ])("a layout prefix not confined to the environment (%p) is refused", async (layout, field) => {
    const problems = await refused(environment("dev", { layout }));
    expect(problems).toEqual([
      expect.stringMatching(
        new RegExp(`^aws\\.layout\\.${field}: must keep the environment's secrets apart`),
      ),
    ]);
  });

  it("a layout prefix naming the environment as a whole segment is accepted", () => {
    const args = awsEnvironmentArgs("dev", {
      layout: { connectionsPrefix: "teams/data/dev/conn", variablesPrefix: "/dev/vars", sep: "/" },
    });
    expect(awsPrepareProblems(args)).toEqual([]);
  });

  it.each([
    [5, "prod"],
    [31, "prod"],
    [0, "prod"],
    [3.5, "dev"],
  ])("recovery window %p in %s", async (days, env) => {
    const problems = await refused(environment(env, { recoveryWindowDays: days }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^aws\.recoveryWindowDays: /);
    expect(problems[0]).toMatch(days === 0 ? /not allowed in production/ : /from 7 to 30/);
  });

  it("a missing OIDC issuer, an issuer with a scheme, a provider for another issuer", async () => {
    expect(await refused(environment("prod", { oidcIssuer: undefined }))).toEqual([
      // Required on Kubernetes only (kubernetes: false has no IRSA): the OIDC rule names it.
      expect.stringMatching(/^aws\.oidcIssuer: is required: the cluster's OIDC issuer without scheme/),
    ]);
    expect(
      await refused(environment("prod", { oidcIssuer: "https://oidc.eks.eu-west-1.amazonaws.com/id/5C1A" })),
    ).toEqual([expect.stringMatching(/^aws\.oidcIssuer: must not include the scheme/)]);
    expect(
      await refused(environment("prod", { oidcIssuer: "oidc.eks.eu-west-1.amazonaws.com/id/OTHER" })),
    ).toEqual([
      expect.stringMatching(
        /^aws\.oidcProviderArn: names another issuer than aws\.oidcIssuer; they must be the same provider$/,
      ),
    ]);
  });

  it("a namespace with invalid characters", async () => {
    const problems = await refused(
      environment("prod", {}, { kubernetes: { namespace: "Airflow_Prod", serviceAccount: "airflow" } }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^kubernetes\.namespace: must be a Kubernetes namespace name/),
    ]);
  });

  it("every problem at once: unknown key, region, deployers, short prod log retention, pull-request writer", async () => {
    const problems = await refused(
      environment("prod", {
        region: "Ireland",
        deployerRoleArns: [],
        recoveryWindowInDays: 30,
        kms: {
          existing: { keyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
        },
        ciWriter: { githubRepository: "acme/airflow-secrets", githubSubjects: ["pull_request"] },
        audit: { logRetentionInDays: 90 },
      }),
    );
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "aws.recoveryWindowInDays",
      "aws.region",
      "aws.deployerRoleArns",
      "aws.audit.logRetentionInDays",
      "aws.ciWriter.githubSubjects[0]",
    ]);
    expect(problems[0]).toMatch(/is not a known setting/);
    expect(problems[2]).toMatch(/roles that run pulumi up/);
    expect(problems[4]).toMatch(/pull requests may never write secrets/);
  });

  it("a KMS key in another region than the secrets", async () => {
    const problems = await refused(
      environment("prod", {
        kms: {
          existing: { keyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
        },
      }),
    );
    expect(problems).toEqual([
      "aws.kms.existing.keyArn: the key is in us-east-1, but the secrets are in eu-west-1; KMS keys are regional",
    ]);
  });

  it("rotation slower than quarterly in production, or on the SSM store, or with URI connections", async () => {
    const rotated = (everyDays: number) => {
      const args = awsEnvironmentArgs("prod");
      return {
        declarations: {
          ...args.declarations,
          connections: [
            {
              ...args.declarations.connections![0],
              rotation: { strategy: "single-user" as const, everyDays },
            },
          ],
        },
      };
    };
    expect(await refused(environment("prod", {}, rotated(120)))).toEqual([
      "connections[warehouse].rotation.everyDays: production rotates database passwords at least quarterly: at most 90 days (got 120)",
    ]);
    expect(
      await refused(environment("prod", { store: "ssm", deployerRoleArns: undefined }, rotated(30))),
    ).toEqual([
      expect.stringMatching(/^connections\[warehouse\]\.rotation: rotation needs the Secrets Manager store/),
    ]);
    expect(
      await refused(
        environment("prod", {}, { ...rotated(30), airflow: { version: "2.10", connectionFormat: "uri" } }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^airflow\.connectionFormat: rotated connections \(warehouse\) must be stored as JSON/,
      ),
    ]);
  });

  it("rotation.caCertificates that hold no certificate", async () => {
    expect(
      await refused(environment("dev", { rotation: { caCertificates: "-----BEGIN RSA PRIVATE KEY-----" } })),
    ).toEqual([
      expect.stringMatching(/^aws\.rotation\.caCertificates: must not contain a private key/),
      expect.stringMatching(/^aws\.rotation\.caCertificates: must hold one or more PEM certificates/),
    ]);
  });

  it("rotation the function could never carry out: unsupported conn_type, a master it cannot log in with, a clone login over 63 bytes", async () => {
    const args = awsEnvironmentArgs("dev");
    const warehouse = args.declarations.connections![0];
    const declarations = {
      ...args.declarations,
      connections: [
        { ...warehouse, conn_type: "mysql", rotation: { strategy: "single-user" as const, everyDays: 30 } },
        {
          ...warehouse,
          conn_id: "reporting",
          login: "r".repeat(58),
          rotation: { strategy: "alternating-users" as const, everyDays: 30, masterConnId: "webhook" },
        },
        { conn_id: "webhook", conn_type: "http", host: "hooks.example.com" },
      ],
    };
    expect(await refused(environment("dev", {}, { declarations }))).toEqual([
      'connections[warehouse].conn_type: connections[warehouse] has conn_type "mysql", which rotation does not support (MySQL needs a DatabaseDriver implementation, see components/rotation/driver.ts); supported: postgres',
      'connections[reporting].rotation.masterConnId: the master connections[webhook] has conn_type "http", which rotation does not support; supported: postgres',
      "connections[reporting].login: alternating-users would use its alternate login, 64 bytes in UTF-8; postgres keeps identifiers of at most 63 bytes, so every rotation would fail (IDENTIFIER_TOO_LONG)",
    ]);
  });

  it("with audit on, more replica regions than the key alarms' 1024-character filter pattern can name", async () => {
    const seven = [
      "eu-central-1",
      "ap-southeast-1",
      "ap-southeast-2",
      "ap-southeast-3",
      "ap-northeast-1",
      "ap-northeast-2",
      "ap-northeast-3",
    ];
    const eight = [...seven, "ap-southeast-4"];
    expect(await refused(environment("prod", { replicaRegions: eight }))).toEqual([
      "aws.replicaRegions: with audit on, each key alarm's filter names the key in every region (9), a 1092-character pattern over CloudWatch Logs' limit of 1024; use fewer replica regions",
    ]);
    // Seven fit (test/aws/audit.test.ts deploys them); without audit there is no filter to fit.
    expect(awsPrepareProblems(awsEnvironmentArgs("prod", { replicaRegions: seven }))).toEqual([]);
    expect(awsPrepareProblems(awsEnvironmentArgs("dev", { replicaRegions: eight }))).toEqual([]);
    expect(
      awsPrepareProblems(awsEnvironmentArgs("dev", { replicaRegions: eight, audit: { enabled: true } })),
    ).toHaveLength(1);
  });

  it("audit turned off in production, unless a trail outside the stack is named", async () => {
    expect(await refused(environment("prod", { audit: { enabled: false } }))).toEqual([
      "aws.audit.enabled: false is refused in production, where access to secrets must be audited: leave it unset (the stack creates a trail), or, if a trail outside this stack already records the account, name its log group in audit.existing.logGroupName",
    ]);
    // Also when production is declared rather than implied by the name.
    expect(await refused(environment("live", { audit: { enabled: false } }, { production: true }))).toEqual([
      expect.stringMatching(/^aws\.audit\.enabled: false is refused in production/),
    ]);
    const existing = { logGroupName: "org-cloudtrail" };
    expect(awsPrepareProblems(awsEnvironmentArgs("prod", { audit: { enabled: false, existing } }))).toEqual(
      [],
    );
    expect(awsPrepareProblems(awsEnvironmentArgs("dev", { audit: { enabled: false } }))).toEqual([]);
  });

  it("a Secrets Manager endpoint for rotation functions when no connection rotates", async () => {
    const rotation = {
      subnetIds: ["subnet-0a1b2c3d4e5f60718"],
      securityGroupIds: ["sg-0c1d2e3f4a5b60720"],
      createSecretsManagerEndpointInVpc: "vpc-0d1e2f3a4b5c60721",
    };
    expect(await refused(environment("dev", { rotation }))).toEqual([
      "aws.rotation.createSecretsManagerEndpointInVpc: no connection declares rotation, so no rotation function would use the endpoint and none is created; remove the setting (or declare rotation on a connection)",
    ]);
  });

  it("declaration problems are reported together with settings problems", async () => {
    const args = awsEnvironmentArgs("prod");
    const problems = await refused(
      environment(
        "prod",
        { replicaRegions: ["eu-west-1"] },
        { declarations: { ...args.declarations, variables: [{ key: "bad key!", value: "v" }] } },
      ),
    );
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual([
      "aws.replicaRegions[0]",
      "variables[bad key!].key",
    ]);
  });
});

describe("components refuse bad arguments before registering anything", () => {
  it("SecretsManagerStore: replica in the primary region, recovery window 45, no deployers", async () => {
    const problems = await refused(
      () =>
        new aws.SecretsManagerStore("store", {
          environment: "prod",
          production: true,
          region: "eu-west-1",
          secrets: [],
          kmsKeyArn: KEY_ARN,
          replicas: [{ region: "eu-west-1", kmsKeyArn: KEY_ARN }],
          recoveryWindowInDays: 45,
          readerRoleArns: [],
          deployerRoleArns: [],
        }),
    );
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "replicas[0]",
      "recoveryWindowInDays",
      "deployerRoleArns",
    ]);
  });

  it("SecretsAccessRoles: namespace with invalid characters, missing issuer, empty name prefix", async () => {
    const problems = await refused(
      () =>
        new aws.SecretsAccessRoles("access", {
          environment: "prod",
          region: "eu-west-1",
          namePrefixes: ["/"],
          kmsKeyArns: [KEY_ARN],
          oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X`,
          oidcIssuer: "",
          namespace: "airflow prod",
          serviceAccounts: ["airflow"],
        }),
    );
    expect(problems.map((p) => p.split(":")[0])).toEqual(["oidcIssuer", "namespace", "namePrefixes[0]"]);
  });

  it("SecretsKmsKey: bring-your-own key without the replica key", async () => {
    const problems = await refused(
      () =>
        new aws.SecretsKmsKey("key", {
          environment: "prod",
          region: "eu-west-1",
          replicaRegions: ["eu-central-1"],
          existing: { keyArn: KEY_ARN },
        }),
    );
    expect(problems).toEqual([
      "existing.replicaKeyArns.eu-central-1: is required: secrets replicated to eu-central-1 need a key in eu-central-1",
    ]);
  });

  it("SecretsAuditTrail: existing trail with retention settings, bad e-mail", async () => {
    const problems = await refused(
      () =>
        new aws.SecretsAuditTrail("audit", {
          environment: "prod",
          production: true,
          region: "eu-west-1",
          namePrefixes: ["airflow/prod/connections/"],
          secretsKeyArn: KEY_ARN,
          existing: { logGroupName: "org-trail" },
          logRetentionInDays: 365,
          alarmEmail: "oncall",
        }),
    );
    expect(problems.map((p) => p.split(":")[0])).toEqual(["logRetentionInDays", "alarmEmail"]);
  });
});
