/**
 * The Vault backend's stack settings (`airflow-secrets:vault`), declared once: the runtime check,
 * the TypeScript types, the editor JSON Schema and the README table all come from this schema.
 * Context defaults (environment, production) and cross-field rules are applied by `resolve` in
 * `backend.ts`. A block written with every child commented out (YAML null) is the same as an absent
 * one (`.nullish()`), except `existing`, where null would silently mean "create one".
 */
import { z } from "zod";
import { existingReference } from "../core/existing";
import { booleanSetting, renamedKeys, secretString } from "../core/schema";
import { VAULT_CAPABILITIES } from "./policyDocument";

const positiveSeconds = () => z.int().min(1);

const policyRuleSchema = z.strictObject({
  path: z
    .string()
    .describe(
      "Vault API path: exact, ending in `*` (prefix glob) or with `+` segments (one-segment wildcard).",
    ),
  capabilities: z.array(z.enum(VAULT_CAPABILITIES)).min(1).describe("Vault capabilities the rule grants."),
  description: z.string().optional().describe("Why the rule exists; rendered as a comment above it."),
});

const databaseRoleSchema = z.strictObject({
  name: z.string().describe("Short name; the Vault role is `airflow-{env}-{name}`."),
  access: z.enum(["read-only", "read-write"]).describe("What the role may touch."),
  schemas: z
    .array(z.string())
    .optional()
    .describe("Schemas the role may use; default the engine's `schemas`."),
  allowCreate: booleanSetting()
    .optional()
    .describe("read-write only: may create tables (owned objects are reassigned on revocation)."),
  reassignOwnedTo: z
    .string()
    .optional()
    .describe("Who receives owned objects on revocation; default Vault's user."),
  defaultTtlSeconds: positiveSeconds().optional().describe("`default_ttl`; default 3600 (one task)."),
  maxTtlSeconds: positiveSeconds()
    .optional()
    .describe("`max_ttl`; default 14400; at least `defaultTtlSeconds`."),
});

const staticRoleSchema = z.strictObject({
  name: z.string().describe("Short name; the Vault role is `airflow-{env}-{name}`."),
  username: z.string().describe("An existing database user whose password Vault rotates."),
  rotationPeriodSeconds: positiveSeconds()
    .optional()
    .describe("`rotation_period`; default 30 days; production at most 90 days."),
});

const mountReference = (what: string) =>
  existingReference(
    { mount: z.string().describe(`Path of the existing ${what} mount (owned elsewhere).`) },
    `Bring your own ${what} mount: nothing is mounted or tuned here. Exactly one stack per Vault cluster owns a mount.`,
  );

const kvSchema = z.strictObject({
  mount: z.string().optional().describe("KV v2 mount this stack creates; default `airflow`."),
  existing: mountReference("KV v2"),
  maxVersions: z
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe("`max_versions`; default 10 in production, 5 elsewhere."),
  sealWrap: booleanSetting()
    .optional()
    .describe("Seal-wrap the mount's values (Vault Enterprise); default false."),
});
renamedKeys.add(kvSchema, { existingMount: "existing.mount" });

const databaseSchema = z.strictObject({
  mount: z
    .string()
    .optional()
    .describe("Database secrets engine mount this stack creates; default `database`."),
  existing: mountReference("database secrets engine"),
  connectionName: z
    .string()
    .optional()
    .describe("Vault connection `airflow-{env}-{connectionName}`; default `warehouse`."),
  host: z.string().describe("PostgreSQL host."),
  port: z.int().min(1).max(65535).optional().describe("Default 5432."),
  database: z.string().describe("Database name."),
  sslmode: z
    .enum(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])
    .optional()
    .describe("Default `verify-full` in production (or `verify-ca` there), `require` elsewhere."),
  username: z.string().describe("Vault's own database user (CREATEROLE, able to grant on the schemas)."),
  password: secretString("Vault's database user's password: `secure:` in production files."),
  verifyConnection: booleanSetting().optional().describe("Check the credentials when written; default true."),
  schemas: z.array(z.string()).optional().describe('Default schemas for roles; default `["public"]`.'),
  roles: z
    .array(databaseRoleSchema)
    .optional()
    .describe("Dynamic roles; default a read-only and a read-write role."),
  staticRoles: z.array(staticRoleSchema).optional().describe("Static roles: existing users Vault rotates."),
  passwordPolicy: z.string().optional().describe("Vault password policy for generated passwords."),
});
renamedKeys.add(databaseSchema, { existingMount: "existing.mount" });

export const settingsSchema = z.strictObject({
  address: z
    .string()
    .describe(
      "Vault's URL as Airflow's pods reach it (`url` kwarg), e.g. `https://vault.internal:8200`. Required; https in production.",
    ),
  namespace: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'must be a Vault namespace path like "admin/data"')
    .optional()
    .describe("Vault Enterprise namespace for every resource and for Airflow's client."),
  caCertPath: z
    .string()
    .regex(/^\/\S+$/, "must be an absolute path inside Airflow's pods")
    .optional()
    .describe(
      "CA bundle path inside Airflow's pods (`verify` kwarg) when Vault's certificate is privately issued.",
    ),
  kv: kvSchema.nullish().describe("The KV v2 mount Airflow reads."),
  layout: z
    .strictObject({
      connectionsPath: z.string().optional().describe("`connections_path`; default `{env}/connections`."),
      variablesPath: z.string().optional().describe("`variables_path`; default `{env}/variables`."),
      configPath: z.string().optional().describe("`config_path`; default `{env}/config`."),
    })
    .nullish()
    .describe("Paths under the mount; each starts with the environment."),
  policies: z
    .strictObject({
      readerName: z.string().optional().describe("Default `airflow-{env}-reader`."),
      writerName: z.string().optional().describe("Default `airflow-{env}-writer`."),
      extraReaderRules: z
        .array(policyRuleSchema)
        .optional()
        .describe("More rules for Airflow's reader policy."),
      extraWriterRules: z.array(policyRuleSchema).optional().describe("More rules for the CI writer policy."),
    })
    .nullish()
    .describe("The environment's reader and writer policies."),
  kubernetesAuth: z
    .strictObject({
      mount: z.string().optional().describe("Existing Kubernetes auth mount; default `kubernetes`."),
      roleName: z.string().optional().describe("Default `airflow-{env}`."),
      tokenTtlSeconds: positiveSeconds().optional().describe("`token_ttl` of Airflow's Vault token."),
      tokenMaxTtlSeconds: positiveSeconds()
        .optional()
        .describe("`token_max_ttl`; at least `tokenTtlSeconds`."),
      audience: z
        .string()
        .optional()
        .describe(
          "`audience` the service account token must carry; any other than the API server's needs a projected token at `jwtPath`.",
        ),
      jwtPath: z
        .string()
        .regex(
          /^\/\S*[^/\s]$/,
          "must be the absolute path of a service account token file inside Airflow's pods",
        )
        .optional()
        .describe("Token file Airflow logs in with (`kubernetes_jwt_path`); default Airflow's own."),
      tokenBoundCidrs: z.array(z.string()).optional().describe("CIDRs the token may be used from."),
    })
    .nullish()
    .describe("Airflow's Kubernetes auth role."),
  awsAuth: z
    .strictObject({
      mount: z
        .string()
        .optional()
        .describe(
          "Existing AWS auth mount (Vault configured with its own AWS access to resolve role ARNs); default `aws`.",
        ),
      roleName: z.string().optional().describe("Default `airflow-{env}`."),
      airflowRoleArns: z
        .array(z.string())
        .describe(
          "The IAM roles Airflow runs as (MWAA's execution role, Astronomer's role): the only principals bound. Required.",
        ),
      tokenTtlSeconds: positiveSeconds().optional().describe("`token_ttl` of Airflow's Vault token."),
      tokenMaxTtlSeconds: positiveSeconds()
        .optional()
        .describe("`token_max_ttl`; at least `tokenTtlSeconds`."),
    })
    .nullish()
    .describe(
      "With `kubernetes: false` (required then, refused on Kubernetes): Airflow logs in with Vault's AWS IAM auth as the IAM role it runs as; no secret enters its configuration.",
    ),
  ciWriter: z
    .strictObject({
      mount: z
        .string()
        .optional()
        .describe("Existing JWT auth mount trusting the CI's OIDC issuer; default `jwt`."),
      roleName: z.string().optional().describe("Default `airflow-{env}-ci`."),
      boundAudiences: z.array(z.string()).min(1).describe("`aud` values the CI's OIDC token must carry."),
      repository: z.string().describe("GitHub Actions `repository` claim, `owner/name`, matched exactly."),
      environment: z
        .string()
        .optional()
        .describe("GitHub Actions `environment` claim; production needs it or `ref`."),
      ref: z.string().optional().describe("GitHub Actions `ref` claim, e.g. `refs/heads/main`."),
      tokenTtlSeconds: positiveSeconds().optional().describe("`token_ttl`; default 900."),
      tokenMaxTtlSeconds: positiveSeconds().optional().describe("`token_max_ttl`; default 3600."),
    })
    .nullish()
    .describe("JWT/OIDC role for the CI pipeline that writes secrets (writer policy)."),
  database: databaseSchema
    .nullish()
    .describe("Dynamic PostgreSQL credentials from Vault's database secrets engine."),
  audit: z
    .strictObject({
      enabled: booleanSetting().optional().describe("Default: on in production, off elsewhere."),
      type: z.enum(["file", "socket", "syslog"]).optional().describe("Default `file`."),
      path: z.string().optional().describe("Mounted at `sys/audit/{path}`; default `airflow-{env}-{type}`."),
      filePath: z
        .string()
        .optional()
        .describe("file: `file_path`; default `/vault/audit/airflow-{env}.log`."),
      mode: z.string().optional().describe("file: log file mode; default `0600`."),
      address: z.string().optional().describe("socket: `host:port`; required for socket."),
      socketType: z.enum(["tcp", "udp", "unix"]).optional().describe("socket: default `tcp`."),
      facility: z.string().optional().describe("syslog: default `AUTH`."),
      tag: z.string().optional().describe("syslog: default `vault`."),
      hmacAccessor: booleanSetting().optional().describe("`hmac_accessor`; default true."),
      elideListResponses: booleanSetting().optional().describe("`elide_list_responses`; default true."),
      prefix: z.string().optional().describe("Written before every entry."),
      local: booleanSetting().optional().describe("Not replicated to performance secondaries (Enterprise)."),
    })
    .nullish()
    .describe("Vault audit device; on by default in production."),
});

/** What a stack file (or a TypeScript caller) writes. */
export type VaultBackendSettingsInput = z.input<typeof settingsSchema>;
/** After parsing: booleans are booleans. */
export type VaultBackendSettings = z.output<typeof settingsSchema>;
