/**
 * The AWS backend's stack settings (`airflow-secrets:aws`), declared once: the runtime check, the
 * TypeScript types, the editor JSON Schema and the README table all come from this schema. Context
 * defaults (production) and cross-field rules (key regions, replicas, audit) are `resolve`'s
 * (`settings.ts`). A block written with every child commented out (YAML null) is absent.
 */
import { z } from "zod";
import { existingReference } from "../core/existing";
import { booleanSetting, renamedKeys } from "../core/schema";

const idList = (description: string) => z.array(z.string()).nullish().describe(description);

const EXISTING_KEY =
  "Use this key instead of creating one; `deletionWindowInDays` and `multiRegion` are then refused.";
const EXISTING_TRAIL =
  "Use an existing trail: only filters and alarms are added; the retention settings are then refused.";

const kmsBlock = z.strictObject({
  existing: existingReference(
    {
      keyArn: z.string().describe("A customer-managed key's ARN, in `region` (its key policy stays yours)."),
      replicaKeyArns: z
        .record(z.string(), z.string())
        .nullish()
        .describe("With replicas: the replica key ARN per replica region (one for each)."),
    },
    EXISTING_KEY,
  )
    .nullable()
    .describe(EXISTING_KEY),
  deletionWindowInDays: z
    .int()
    .min(7)
    .max(30)
    .nullish()
    .describe("Deletion window of a created key, 7–30. Default 30."),
  multiRegion: booleanSetting()
    .nullish()
    .describe("Create a multi-Region key even without replicas. Default false."),
});
renamedKeys.add(kmsBlock, {
  existingKeyArn: "existing.keyArn",
  existingReplicaKeyArns: "existing.replicaKeyArns",
});

const auditBlock = z.strictObject({
  enabled: booleanSetting()
    .nullish()
    .describe("Default: on in production, off elsewhere. `false` in production only with `existing`."),
  existing: existingReference(
    {
      logGroupName: z
        .string()
        .describe("CloudWatch Logs group the existing trail delivers to (in `region`)."),
    },
    EXISTING_TRAIL,
  )
    .nullable()
    .describe(EXISTING_TRAIL),
  logRetentionInDays: z
    .int()
    .nullish()
    .describe("Trail log group retention. Default 365 in production, 90 elsewhere."),
  glacierAfterDays: z.int().min(1).nullish().describe("Days before log files move to Glacier. Default 90."),
  expireAfterDays: z
    .int()
    .min(1)
    .nullish()
    .describe("Days before log files are deleted. Default 2557 in production, 365 elsewhere."),
  alarmEmail: z.string().nullish().describe("Subscribed to the alarm topic (confirm by e-mail)."),
  alarmTopicArn: z
    .string()
    .nullish()
    .describe("Send alarms to an existing SNS topic instead of creating one."),
});
renamedKeys.add(auditBlock, { existingTrail: "existing" });

const accountBlock = (role: string, account: string) =>
  z.strictObject({
    accountId: z.string().describe(`The 12-digit id of the account ${account}. Required.`),
    deployRoleArn: z
      .string()
      .nullish()
      .describe(
        `A role in that account that the stack program's AWS provider assumes to create ${role}. Default: the credentials \`pulumi up\` runs with, which must then be in that account.`,
      ),
  });

/** Secrets in a central account, Airflow in a workload account (components/aws/accounts.ts). */
const accountsBlock = z.strictObject({
  secrets: accountBlock(
    "the store, key, reader role, CI writer, rotation and audit trail",
    "that holds the secrets, the KMS key, the CI writer, rotation and the audit trail",
  ).describe("The central secrets account."),
  workload: accountBlock(
    "Airflow's IRSA role",
    "where the EKS cluster runs Airflow (its OIDC provider is `oidcProviderArn`)",
  ).describe("The account Airflow runs in."),
  organizationId: z
    .string()
    .nullish()
    .describe(
      "The AWS Organizations id (`o-…`) of both accounts: the reader then also requires the caller to be in it (`aws:PrincipalOrgID`).",
    ),
});

export const settingsSchema = z
  .strictObject({
    region: z
      .string()
      .describe('Region of the store, key, roles\' scope and audit trail, e.g. "eu-west-1". Required.'),
    store: z
      .enum(["secretsmanager", "ssm"])
      .nullish()
      .describe(
        "`secretsmanager` (default) or `ssm` (Parameter Store SecureStrings: no rotation, no replicas).",
      ),
    oidcProviderArn: z
      .string()
      .nullish()
      .describe(
        "IAM OIDC provider of the EKS cluster running Airflow. Required on Kubernetes; refused with `kubernetes: false`.",
      ),
    oidcIssuer: z
      .string()
      .nullish()
      .describe(
        "The cluster's OIDC issuer without scheme: `oidc.eks.<region>.amazonaws.com/id/<ID>`. Required on Kubernetes; refused with `kubernetes: false`.",
      ),
    offKubernetes: z
      .strictObject({
        airflowRoleArns: z
          .array(z.string())
          .describe(
            "The IAM roles Airflow runs as (MWAA's execution role, Astronomer's customer-managed role, an EC2 instance role): the only principals the reader role trusts. Required.",
          ),
        accountId: z
          .string()
          .describe(
            "The 12-digit id of the account this stack deploys the reader role into: Airflow's `backend_kwargs` name the role by ARN (`role_arn`), which must be known before deployment. Required.",
          ),
      })
      .nullish()
      .describe(
        "With `kubernetes: false` (required then, refused on Kubernetes): who assumes the reader role, instead of Airflow's service accounts through IRSA.",
      ),
    accounts: accountsBlock
      .nullish()
      .describe(
        "Secrets in a central account and Airflow in a workload account, each reached through its own AWS provider. Default: one account for both.",
      ),
    deployerRoleArns: z
      .array(z.string())
      .nullish()
      .describe(
        "Required with Secrets Manager (the default store), refused with `ssm`: the roles that run `pulumi up`/`refresh`. Each secret's policy denies reading its value to every other principal, and the AWS provider reads each version back, so without them no deployment could complete.",
      ),
    layout: z
      .strictObject({
        connectionsPrefix: z
          .string()
          .nullish()
          .describe("Default `airflow/{env}/connections`; must contain `{env}` as a whole segment."),
        variablesPrefix: z
          .string()
          .nullish()
          .describe("Default `airflow/{env}/variables`; must contain `{env}` as a whole segment."),
        configPrefix: z
          .string()
          .nullish()
          .describe("Default `airflow/{env}/config`; must contain `{env}` as a whole segment."),
        sep: z.string().nullish().describe("Default `/`; the IAM grants are scoped by `prefix + sep`."),
      })
      .nullish()
      .describe("Overrides of the contract's layout; every prefix stays inside this environment."),
    kms: kmsBlock.nullish().describe("The environment's KMS key: created, or brought with `existing`."),
    recoveryWindowDays: z
      .number()
      .nullish()
      .describe(
        "7–30 (0 outside production: delete without recovery). Default 30 in production, 7 elsewhere.",
      ),
    replicaRegions: z
      .array(z.string())
      .nullish()
      .describe("Regions every secret is replicated to (Secrets Manager only)."),
    tags: z
      .record(z.string(), z.string())
      .nullish()
      .describe(
        "Extra tags on every resource: keys 1–128 and values up to 256 of letters, digits, spaces and `_ . : / = + - @`; no `aws:` prefix.",
      ),
    audit: auditBlock
      .nullish()
      .describe(
        "CloudTrail audit sink with alarms: created, or an existing trail's log group with `existing`.",
      ),
    ciWriter: z
      .strictObject({
        enabled: booleanSetting()
          .nullish()
          .describe("Create the writer policy (and role, when a trust is given). Default true."),
        githubRepository: z
          .string()
          .nullish()
          .describe("`owner/name`: its GitHub Actions runs may assume the writer role (OIDC)."),
        githubSubjects: z
          .array(z.string())
          .nullish()
          .describe(
            'Token subjects after `repo:owner/name:`. Default `["ref:refs/heads/main"]`; `pull_request` is refused.',
          ),
        githubOidcProviderArn: z
          .string()
          .nullish()
          .describe("The account's GitHub OIDC provider. Default the account's own."),
        trustedRoleArns: z.array(z.string()).nullish().describe("Roles that may assume the writer role."),
      })
      .nullish()
      .describe("The CI writer: writes and deletes, never reads."),
    rotation: z
      .strictObject({
        subnetIds: idList("Subnets of the rotation function, in the database's VPC (`subnet-…`)."),
        securityGroupIds: idList("Security groups of the rotation function (`sg-…`)."),
        createSecretsManagerEndpointInVpc: z
          .string()
          .nullish()
          .describe("Create a Secrets Manager interface endpoint in this VPC (`vpc-…`) for the functions."),
        secretsManagerEndpointUrl: z.string().nullish().describe("Or use an existing endpoint's https URL."),
        passwordLength: z
          .int()
          .min(16)
          .max(4096)
          .nullish()
          .describe("Generated password length, 16–4096. Default 32."),
        excludeCharacters: z
          .string()
          .nullish()
          .describe("Characters never generated. Default: quotes, backslash, `/`, `@`, backtick."),
        caCertificates: z
          .string()
          .nullish()
          .describe("PEM CA certificates the functions trust for database TLS. Default the Amazon bundle."),
        rotateImmediately: booleanSetting()
          .nullish()
          .describe("Rotate once as soon as rotation is configured. Default false."),
        duration: z
          .string()
          .nullish()
          .describe("Rotation window `1h`–`24h`; schedules become `rate(N days)` with it."),
        logRetentionInDays: z
          .int()
          .nullish()
          .describe("Function log retention. Default 365 in production, 30 elsewhere."),
      })
      .nullish()
      .describe("Rotation functions for connections that declare `rotation` (Secrets Manager only)."),
  })
  // For editors (the JSON Schema): deployerRoleArns is required unless the store is `ssm`, where it
  // is refused; `resolve` holds the same rule for programs.
  .meta({
    if: { properties: { store: { const: "ssm" } }, required: ["store"] },
    then: { not: { required: ["deployerRoleArns"] } },
    else: { required: ["deployerRoleArns"] },
  });

/** What a stack file (or a TypeScript caller) writes. */
export type AwsBackendSettingsInput = z.input<typeof settingsSchema>;
/** After parsing: booleans are booleans; a block may be null (written empty), which means absent. */
export type AwsBackendSettings = z.output<typeof settingsSchema>;
