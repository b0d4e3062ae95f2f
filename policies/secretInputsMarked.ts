import { AirflowResourcePolicy, readConfig } from "./lib/policy";
import { Secret, isSecret, unmarkedPaths, withSecretsVisible } from "./lib/secretness";
import { isRecord } from "./lib/values";

/** Plugin blocks of vault.database.SecretBackendConnection (@pulumi/vault), each with a root `password`. */
const VAULT_DATABASE_PLUGINS = [
  "cassandra",
  "couchbase",
  "elasticsearch",
  "hana",
  "influxdb",
  "mongodb",
  "mssql",
  "mysql",
  "mysqlAurora",
  "mysqlLegacy",
  "mysqlRds",
  "oracle",
  "postgresql",
  "redis",
  "redisElasticache",
  "redshift",
  "snowflake",
];

/** Inputs that hold secret material, per resource type (dotted paths). */
export const SECRET_PROPERTIES: Record<string, string[]> = {
  "aws:secretsmanager/secretVersion:SecretVersion": ["secretString", "secretBinary", "secretStringWo"],
  "aws:ssm/parameter:Parameter": ["value", "valueWo", "insecureValue"],
  "gcp:secretmanager/secretVersion:SecretVersion": ["secretData", "secretDataWo"],
  "gcp:secretmanager/regionalSecretVersion:RegionalSecretVersion": ["secretData", "secretDataWo"],
  "azure-native:keyvault:Secret": ["properties.value"],
  "vault:kv/secretV2:SecretV2": ["dataJson", "dataJsonWo"],
  "vault:kv/secret:Secret": ["dataJson"],
  "vault:generic/secret:Secret": ["dataJson"],
  "vault:database/secretBackendStaticRole:SecretBackendStaticRole": ["passwordWo", "selfManagedPassword"],
  "kubernetes:core/v1:Secret": ["stringData", "data"],
  // The database engine's root credential Vault connects with (one block per plugin).
  "vault:database/secretBackendConnection:SecretBackendConnection": [
    ...VAULT_DATABASE_PLUGINS.flatMap((plugin) => [`${plugin}.password`, `${plugin}.passwordWo`]),
    "postgresql.privateKey",
    "snowflake.privateKey",
    "mongodbatlas.privateKey",
  ],
};

const configSchema = {
  properties: {
    additionalSecretProperties: {
      type: "object" as const,
      additionalProperties: { type: "array" as const, items: { type: "string" as const } },
      default: {},
      description: 'More secret-bearing inputs, by resource type: {"<type token>": ["dotted.path", …]}.',
    },
  },
};

function cloneKeepingSecrets(value: unknown): unknown {
  if (isSecret(value)) return new Secret(cloneKeepingSecrets(value.value));
  if (Array.isArray(value)) return value.map(cloneKeepingSecrets);
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneKeepingSecrets(v)]));
  return value;
}

function withoutSecrets(value: unknown): unknown {
  if (isSecret(value)) return withoutSecrets(value.value);
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v)]));
  return value;
}

/**
 * Wraps the property at `path` in a Secret when any value under it is plain. Returns whether it
 * changed anything; a secret ancestor covers everything below it.
 */
function markSecret(props: Record<string, unknown>, path: string): boolean {
  const keys = path.split(".");
  let parent: Record<string, unknown> = props;
  for (const key of keys.slice(0, -1)) {
    const next = parent[key];
    if (isSecret(next) || !isRecord(next)) return false; // a secret covers the rest of the path; absent holds nothing
    parent = next;
  }
  const last = keys[keys.length - 1];
  if (unmarkedPaths(parent[last], path).length === 0) return false;
  parent[last] = new Secret(withoutSecrets(parent[last]));
  return true;
}

/**
 * "No secret value unmarked in inputs": a store's value input (secretString, secretData, dataJson,
 * stringData, Key Vault properties.value…) must be a Pulumi secret, or it lands in the state file
 * and in `pulumi preview --diff` in plain text.
 *
 * CrossGuard only reveals secretness to remediations (validations see plain values, see
 * lib/secretness.ts), so this policy is a remediation: it marks such inputs secret before the
 * engine stores them, and `pulumi preview` / `airflow-secrets check` list every resource it fixed
 * so the program can be corrected (`pulumi.secret(...)`).
 */
export const secretInputsMarked: AirflowResourcePolicy = {
  name: "secret-inputs-marked",
  description:
    "Secret-bearing inputs (secretString, secretData, dataJson, Kubernetes Secret data, Key Vault properties.value…) are Pulumi secrets; plain ones are marked secret before they reach state.",
  enforcementLevel: "remediate",
  remediationSteps:
    "Wrap the value with pulumi.secret(...) where it is built (or take it from `pulumi config set --secret`, a RandomPassword, or " +
    "another resource's secret output). This library's components already do; the remediation exists for resources added by hand.",
  configSchema,
  resourceTypes: Object.keys(SECRET_PROPERTIES),
  configExample: { additionalSecretProperties: { "myprovider:index:Credential": ["token"] } },
  remediateResource: (args) => {
    const { additionalSecretProperties } = readConfig<{
      additionalSecretProperties: Record<string, string[]>;
    }>(args, configSchema);
    const paths = [...(SECRET_PROPERTIES[args.type] ?? []), ...(additionalSecretProperties[args.type] ?? [])];
    if (paths.length === 0) return undefined;
    const raw = withSecretsVisible(args.props);
    if (args.type === "aws:ssm/parameter:Parameter" && withoutSecrets(raw.type) !== "SecureString")
      return undefined;
    const remediated = cloneKeepingSecrets(raw) as Record<string, unknown>;
    const changed = paths.map((path) => markSecret(remediated, path)).some(Boolean);
    return changed ? remediated : undefined;
  },
};
