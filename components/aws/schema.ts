/**
 * The AWS backend's stack settings (`airflow-secrets:aws`), declared once: the runtime check, the
 * TypeScript types, the editor JSON Schema and the README table all come from this schema. Context
 * defaults (production) and cross-field rules (key regions, replicas, audit) stay in `settings.ts`.
 */
import { z } from "zod";
import { booleanSetting } from "../core/schema";

const idList = (description: string) => z.array(z.string()).describe(description);

export const settingsSchema = z.strictObject({
  region: z
    .string()
    .describe('Region of the store, key, roles\' scope and audit trail, e.g. "eu-west-1". Required.'),
  store: z
    .enum(["secretsmanager", "ssm"])
    .optional()
    .describe(
      "`secretsmanager` (default) or `ssm` (Parameter Store SecureStrings: no rotation, no replicas).",
    ),
  oidcProviderArn: z.string().describe("IAM OIDC provider of the EKS cluster running Airflow. Required."),
  oidcIssuer: z
    .string()
    .describe(
      "The cluster's OIDC issuer without scheme: `oidc.eks.<region>.amazonaws.com/id/<ID>`. Required.",
    ),
  deployerRoleArns: z
    .array(z.string())
    .optional()
    .describe(
      "Roles that run `pulumi up`/`refresh` (Secrets Manager only, required there): exempt from the read-deny resource policy.",
    ),
  layout: z
    .strictObject({
      connectionsPrefix: z
        .string()
        .optional()
        .describe("Default `airflow/{env}/connections`; must contain `{env}` as a whole segment."),
      variablesPrefix: z
        .string()
        .optional()
        .describe("Default `airflow/{env}/variables`; must contain `{env}` as a whole segment."),
      configPrefix: z
        .string()
        .optional()
        .describe("Default `airflow/{env}/config`; must contain `{env}` as a whole segment."),
      sep: z.string().optional().describe("Default `/`; the IAM grants are scoped by `prefix + sep`."),
    })
    .optional()
    .describe("Overrides of the contract's layout; every prefix stays inside this environment."),
  kms: z
    .strictObject({
      existingKeyArn: z
        .string()
        .optional()
        .describe("Use this customer-managed key (ARN, in `region`) instead of creating one."),
      existingReplicaKeyArns: z
        .record(z.string(), z.string())
        .optional()
        .describe("With `existingKeyArn` and replicas: the replica key ARN per replica region."),
      deletionWindowInDays: z
        .int()
        .min(7)
        .max(30)
        .optional()
        .describe("Deletion window of a created key, 7–30. Default 30."),
      multiRegion: booleanSetting()
        .optional()
        .describe("Create a multi-Region key even without replicas. Default false."),
    })
    .optional()
    .describe("The environment's KMS key."),
  recoveryWindowDays: z
    .number()
    .optional()
    .describe("7–30 (0 outside production: delete without recovery). Default 30 in production, 7 elsewhere."),
  replicaRegions: z
    .array(z.string())
    .optional()
    .describe("Regions every secret is replicated to (Secrets Manager only)."),
  tags: z
    .record(z.string(), z.string())
    .optional()
    .describe("Extra tags on every resource (AWS tag characters only)."),
  audit: z
    .strictObject({
      enabled: booleanSetting()
        .optional()
        .describe(
          "Default: on in production, off elsewhere. `false` in production only with `existingTrail`.",
        ),
      existingTrail: z
        .strictObject({
          logGroupName: z
            .string()
            .describe("CloudWatch Logs group an existing trail delivers to (in `region`)."),
        })
        .optional()
        .describe("Use an existing trail: only filters and alarms are added."),
      logRetentionInDays: z
        .int()
        .optional()
        .describe("Trail log group retention. Default 365 in production, 90 elsewhere."),
      glacierAfterDays: z
        .int()
        .min(1)
        .optional()
        .describe("Days before log files move to Glacier. Default 90."),
      expireAfterDays: z
        .int()
        .min(1)
        .optional()
        .describe("Days before log files are deleted. Default 2557 in production, 365 elsewhere."),
      alarmEmail: z.string().optional().describe("Subscribed to the alarm topic (confirm by e-mail)."),
      alarmTopicArn: z
        .string()
        .optional()
        .describe("Send alarms to an existing SNS topic instead of creating one."),
    })
    .optional()
    .describe("CloudTrail audit sink with alarms."),
  ciWriter: z
    .strictObject({
      enabled: booleanSetting()
        .optional()
        .describe("Create the writer policy (and role, when a trust is given). Default true."),
      githubRepository: z
        .string()
        .optional()
        .describe("`owner/name`: its GitHub Actions runs may assume the writer role (OIDC)."),
      githubSubjects: z
        .array(z.string())
        .optional()
        .describe(
          'Token subjects after `repo:owner/name:`. Default `["ref:refs/heads/main"]`; `pull_request` is refused.',
        ),
      githubOidcProviderArn: z
        .string()
        .optional()
        .describe("The account's GitHub OIDC provider. Default the account's own."),
      trustedRoleArns: z.array(z.string()).optional().describe("Roles that may assume the writer role."),
    })
    .optional()
    .describe("The CI writer: writes and deletes, never reads."),
  rotation: z
    .strictObject({
      subnetIds: idList("Subnets of the rotation function, in the database's VPC (`subnet-…`).").optional(),
      securityGroupIds: idList("Security groups of the rotation function (`sg-…`).").optional(),
      createSecretsManagerEndpointInVpc: z
        .string()
        .optional()
        .describe("Create a Secrets Manager interface endpoint in this VPC (`vpc-…`) for the functions."),
      secretsManagerEndpointUrl: z.string().optional().describe("Or use an existing endpoint's https URL."),
      passwordLength: z
        .int()
        .min(16)
        .max(4096)
        .optional()
        .describe("Generated password length, 16–4096. Default 32."),
      excludeCharacters: z
        .string()
        .optional()
        .describe("Characters never generated. Default: quotes, backslash, `/`, `@`, backtick."),
      caCertificates: z
        .string()
        .optional()
        .describe("PEM CA certificates the functions trust for database TLS. Default the Amazon bundle."),
      rotateImmediately: booleanSetting()
        .optional()
        .describe("Rotate once as soon as rotation is configured. Default false."),
      duration: z
        .string()
        .optional()
        .describe("Rotation window `1h`–`24h`; schedules become `rate(N days)` with it."),
      logRetentionInDays: z
        .int()
        .optional()
        .describe("Function log retention. Default 365 in production, 30 elsewhere."),
    })
    .optional()
    .describe("Rotation functions for connections that declare `rotation` (Secrets Manager only)."),
});

/** What a stack file (or a TypeScript caller) writes. */
export type AwsBackendSettingsInput = z.input<typeof settingsSchema>;
/** After parsing: booleans are booleans. */
export type AwsBackendSettings = z.output<typeof settingsSchema>;
