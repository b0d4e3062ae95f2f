/**
 * What each Airflow secrets backend class reads: where it looks a secret up, which names and sizes
 * its store accepts, how a value must be encoded and which `backend_kwargs` it takes. Every fact
 * here is read from the backend's provider source; cloud folders use these profiles and never
 * re-derive a name or a format.
 */
import { Problems } from "./problems";
import {
  AIRFLOW_CONNECTION_FIELDS,
  AirflowConnectionField,
  ResolvedConnection,
  connectionFields,
  connectionToUri,
  stableJson,
} from "./serialize";
import { SecretKind } from "./declarations";

export type BackendKind =
  "env" | "vault" | "aws-secrets-manager" | "aws-ssm" | "gcp-secret-manager" | "azure-key-vault";

export const BACKEND_KINDS: readonly BackendKind[] = [
  "env",
  "vault",
  "aws-secrets-manager",
  "aws-ssm",
  "gcp-secret-manager",
  "azure-key-vault",
];

/**
 * Where one environment's secrets live in a store. A `null` prefix tells Airflow not to query the
 * backend for that kind at all (every backend honours it), which the plan uses for kinds an
 * environment declares nothing of.
 */
export interface SecretsLayout {
  connectionsPrefix: string;
  variablesPrefix: string;
  configPrefix: string;
  /** Separator between prefix and id. */
  sep: string;
  /** Vault only: the KV v2 mount. */
  mountPoint?: string;
}

export type ConnectionFormat = "json" | "uri";

export interface BackendProfile {
  readonly kind: BackendKind;
  /** Human title for tables and messages. */
  readonly title: string;
  /** `[secrets] backend`; undefined for the env-var backend, which Airflow always consults. */
  readonly backendClass?: string;
  /** Per-environment defaults, e.g. `airflow/prod/connections`. */
  defaultLayout(environment: string): SecretsLayout;
  /** The name Airflow looks up for `id` of `kind` (storage name). */
  storageName(layout: SecretsLayout, kind: SecretKind, id: string): string;
  /** Records problems with a storage name (charset, length, reserved forms). */
  checkStorageName(name: string, path: string, problems: Problems): void;
  /** Extra id rules of this backend beyond Airflow's conn_id rule. */
  checkId?(kind: SecretKind, id: string, path: string, problems: Problems): void;
  /** Two names that the store treats as the same secret have the same key. */
  collisionKey(name: string): string;
  /** Largest stored value in bytes, if the store has a limit. */
  readonly maxValueBytes?: number;
  /** Connection keys this backend reads; others are dropped or break the lookup. */
  readonly connectionKeys: readonly AirflowConnectionField[];
  /** The separator the backend class always uses, when it takes no `sep` kwarg. */
  readonly fixedSep?: string;
  /** Whether the backend accepts `*_lookup_pattern` kwargs (only the AWS backends do). */
  readonly supportsLookupPatterns: boolean;
  /**
   * Where the store keeps a declared description that Airflow itself does not read back (URI form,
   * AWS SM's key standardisation, variables). Undefined: the store has no such place, so a
   * description Airflow would drop is refused.
   */
  readonly descriptionInStore?: string;
  /** The stored connection value. */
  encodeConnection(conn: ResolvedConnection, format: ConnectionFormat): string;
  /** The stored variable / config value. */
  encodeScalar(value: string): string;
  /** `backend_kwargs` for a layout (prefix keys only; the cloud folder adds auth/url kwargs). */
  layoutKwargs(layout: SecretsLayout, declaredKinds: ReadonlySet<SecretKind>): Record<string, unknown>;
}

const KIND_PREFIX_KEY = {
  connection: "connectionsPrefix",
  variable: "variablesPrefix",
  config: "configPrefix",
} as const;

/** `BaseSecretsBackend.build_path`: `{prefix}{sep}{id}`, prefix used as configured (rstripped of sep). */
function buildPath(prefix: string, sep: string, id: string): string {
  return `${stripTrailing(prefix, sep)}${sep}${id}`;
}

function stripTrailing(value: string, sep: string): string {
  if (!sep) return value;
  let out = value;
  while (out.endsWith(sep)) out = out.slice(0, -sep.length);
  return out;
}

function checkCharset(name: string, path: string, problems: Problems, re: RegExp, rule: string): void {
  problems.check(re.test(name), path, () => `${rule} (got "${name}")`);
}

function checkLength(name: string, path: string, problems: Problems, max: number, store: string): void {
  problems.check(
    name.length <= max,
    path,
    () => `${store} names are at most ${max} characters (got ${name.length}: "${name.slice(0, 40)}…")`,
  );
}

/** A layout with one prefix per kind: `prefixFor("connections")` etc. */
function layoutOf(prefixFor: (kindFolder: string) => string, sep: string): SecretsLayout {
  return {
    connectionsPrefix: prefixFor("connections"),
    variablesPrefix: prefixFor("variables"),
    configPrefix: prefixFor("config"),
    sep,
  };
}

/** The kwarg names every backend but Vault uses for its prefixes. */
const PREFIX_KWARGS = {
  connection: "connections_prefix",
  variable: "variables_prefix",
  config: "config_prefix",
};

/** Prefix kwargs, with `null` for kinds the environment does not declare (no lookups are sent). */
function prefixKwargs(
  layout: SecretsLayout,
  declaredKinds: ReadonlySet<SecretKind>,
  keys: { connection: string; variable: string; config: string } = PREFIX_KWARGS,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kind of ["connection", "variable", "config"] as const) {
    out[keys[kind]] = declaredKinds.has(kind) ? layout[KIND_PREFIX_KEY[kind]] : null;
  }
  return out;
}

/** `sep` plus the prefixes: the kwargs of every backend class that takes a separator. */
const sepAndPrefixKwargs = (
  layout: SecretsLayout,
  declared: ReadonlySet<SecretKind>,
): Record<string, unknown> => ({
  sep: layout.sep,
  ...prefixKwargs(layout, declared),
});

const jsonOrUri =
  (keep: readonly AirflowConnectionField[]) => (conn: ResolvedConnection, format: ConnectionFormat) =>
    format === "uri" ? connectionToUri(conn) : JSON.stringify(connectionFields(conn, keep));

const identity = (value: string) => value;

/** `EnvironmentVariablesBackend`: `AIRFLOW_CONN_{ID.upper()}`, `AIRFLOW_VAR_{KEY.upper()}`. */
const envProfile: BackendProfile = {
  kind: "env",
  title: "Environment variables",
  defaultLayout: () => ({
    connectionsPrefix: "AIRFLOW_CONN_",
    variablesPrefix: "AIRFLOW_VAR_",
    configPrefix: "",
    sep: "",
  }),
  storageName(_layout, kind, id) {
    if (kind === "connection") return `AIRFLOW_CONN_${id.toUpperCase()}`;
    if (kind === "variable") return `AIRFLOW_VAR_${id.toUpperCase()}`;
    // Config options are set directly as AIRFLOW__SECTION__OPTION: this backend has no get_config.
    return id;
  },
  checkStorageName(name, path, problems) {
    checkCharset(
      name,
      path,
      problems,
      /^[A-Z_][A-Z0-9_]*$/,
      "environment variable names must be letters, digits and _ once upper-cased (Kubernetes and shells reject others)",
    );
  },
  collisionKey: (name) => name,
  // A Kubernetes Secret holds at most 1 MiB in total; each value is checked against that too.
  maxValueBytes: 1024 * 1024,
  connectionKeys: AIRFLOW_CONNECTION_FIELDS,
  supportsLookupPatterns: false,
  encodeConnection: jsonOrUri(AIRFLOW_CONNECTION_FIELDS),
  encodeScalar: identity,
  layoutKwargs: () => ({}),
};

/**
 * `VaultBackend` (KV v2): reads `{mount}/data/{path}/{id}`; the secret is `{conn_uri}` or the
 * connection fields themselves, any other key breaks `Connection(**fields)`. Variables and config
 * are under key `value`. Unknown backend kwargs are passed to the hvac client, so no lookup patterns.
 */
const vaultProfile: BackendProfile = {
  kind: "vault",
  title: "HashiCorp Vault (KV v2)",
  backendClass: "airflow.providers.hashicorp.secrets.vault.VaultBackend",
  defaultLayout: (env) => ({ mountPoint: "airflow", ...layoutOf((folder) => `${env}/${folder}`, "/") }),
  fixedSep: "/",
  storageName: (layout, kind, id) => buildPath(layout[KIND_PREFIX_KEY[kind]], "/", id),
  checkStorageName(name, path, problems) {
    const segments = name.split("/");
    problems.check(
      !name.startsWith("/") && segments.every((s) => s !== "" && s !== "." && s !== ".."),
      path,
      `Vault paths must not start with "/" or contain empty, "." or ".." segments (got "${name}")`,
    );
    checkCharset(
      name,
      path,
      problems,
      /^[^#\\?%+*\s]+$/,
      'Vault paths must not contain "#", "\\", "?", "%", "+", "*" or whitespace: the HTTP path or policy globs would change meaning',
    );
  },
  collisionKey: (name) => name,
  connectionKeys: AIRFLOW_CONNECTION_FIELDS,
  supportsLookupPatterns: false,
  encodeConnection: (conn, format) =>
    format === "uri"
      ? stableJson({ conn_uri: connectionToUri(conn) })
      : JSON.stringify(connectionFields(conn, AIRFLOW_CONNECTION_FIELDS)),
  encodeScalar: (value) => JSON.stringify({ value }),
  layoutKwargs: (layout, declared) => ({
    mount_point: layout.mountPoint ?? "airflow",
    kv_engine_version: 2,
    ...prefixKwargs(layout, declared, {
      connection: "connections_path",
      variable: "variables_path",
      config: "config_path",
    }),
  }),
};

/**
 * AWS Secrets Manager keys Airflow remaps (login/user/username…); `description` is dropped by
 * `_standardize_secret_keys`, and a `conn_id` key would be read as the conn_type, so neither is written.
 */
const AWS_CONNECTION_KEYS: readonly AirflowConnectionField[] = AIRFLOW_CONNECTION_FIELDS.filter(
  (field) => field !== "description",
);

const awsSecretsManagerProfile: BackendProfile = {
  kind: "aws-secrets-manager",
  title: "AWS Secrets Manager",
  backendClass: "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
  defaultLayout: (env) => layoutOf((folder) => `airflow/${env}/${folder}`, "/"),
  storageName: (layout, kind, id) => buildPath(layout[KIND_PREFIX_KEY[kind]], layout.sep, id),
  checkStorageName(name, path, problems) {
    checkCharset(
      name,
      path,
      problems,
      /^[A-Za-z0-9/_+=.@-]+$/,
      "Secrets Manager names allow only letters, digits and /_+=.@-",
    );
    checkLength(name, path, problems, 512, "Secrets Manager");
    // ARNs end in -XXXXXX; a name shaped like that makes partial-ARN lookups ambiguous.
    problems.check(
      !/-[A-Za-z0-9]{6}$/.test(name),
      path,
      `Secrets Manager names must not end with a hyphen and six characters, which reads as an ARN suffix (got "${name}")`,
    );
  },
  collisionKey: (name) => name,
  maxValueBytes: 65536,
  connectionKeys: AWS_CONNECTION_KEYS,
  supportsLookupPatterns: true,
  descriptionInStore: "the secret's Description",
  encodeConnection: jsonOrUri(AWS_CONNECTION_KEYS),
  encodeScalar: identity,
  layoutKwargs: sepAndPrefixKwargs,
};

/** `SystemsManagerParameterStoreBackend`: `/{prefix}/{id}` with a leading slash, SecureString. */
const awsSsmProfile: BackendProfile = {
  kind: "aws-ssm",
  title: "AWS SSM Parameter Store",
  backendClass: "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
  defaultLayout: (env) => layoutOf((folder) => `/airflow/${env}/${folder}`, "/"),
  fixedSep: "/",
  storageName(layout, kind, id) {
    const name = buildPath(layout[KIND_PREFIX_KEY[kind]], "/", id);
    return name.startsWith("/") ? name : `/${name}`;
  },
  checkStorageName(name, path, problems) {
    checkCharset(
      name,
      path,
      problems,
      /^[A-Za-z0-9_.\-/]+$/,
      "SSM parameter names allow only letters, digits and _.-/",
    );
    checkLength(name, path, problems, 1011, "SSM parameter");
    problems.check(
      !/^\/?(aws|ssm)/i.test(name),
      path,
      `SSM parameter names must not begin with "aws" or "ssm" (got "${name}")`,
    );
    problems.check(
      name.split("/").length - 1 <= 15,
      path,
      `SSM parameter hierarchies have at most 15 levels (got "${name}")`,
    );
  },
  collisionKey: (name) => name,
  // Advanced tier; the store picks Standard (4 KiB) when the value fits.
  maxValueBytes: 8192,
  connectionKeys: AIRFLOW_CONNECTION_FIELDS,
  supportsLookupPatterns: true,
  descriptionInStore: "the parameter's Description",
  encodeConnection: jsonOrUri(AIRFLOW_CONNECTION_FIELDS),
  encodeScalar: identity,
  layoutKwargs: (layout, declared) => prefixKwargs(layout, declared),
};

/** `CloudSecretManagerBackend`: secret id `{prefix}{sep}{id}`, no substitution, `[a-zA-Z0-9_-]`, ≤ 255. */
const gcpProfile: BackendProfile = {
  kind: "gcp-secret-manager",
  title: "GCP Secret Manager",
  backendClass: "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend",
  defaultLayout: (env) => layoutOf((folder) => `airflow-${env}-${folder}`, "-"),
  // GCP does not strip the separator from the prefix, so neither do we.
  storageName: (layout, kind, id) => `${layout[KIND_PREFIX_KEY[kind]]}${layout.sep}${id}`,
  checkStorageName(name, path, problems) {
    checkCharset(
      name,
      path,
      problems,
      /^[A-Za-z0-9_-]+$/,
      "GCP Secret Manager ids allow only letters, digits, _ and -",
    );
    checkLength(name, path, problems, 255, "GCP Secret Manager");
  },
  checkId(_kind, id, path, problems) {
    // Multi-team Airflow refuses ids containing the team separator.
    problems.check(
      !id.includes("--"),
      path,
      `GCP ids must not contain "--", Airflow's team separator (got "${id}")`,
    );
  },
  collisionKey: (name) => name,
  maxValueBytes: 65536,
  connectionKeys: AIRFLOW_CONNECTION_FIELDS,
  supportsLookupPatterns: false,
  encodeConnection: jsonOrUri(AIRFLOW_CONNECTION_FIELDS),
  encodeScalar: identity,
  layoutKwargs: sepAndPrefixKwargs,
};

/**
 * `AzureKeyVaultBackend.build_path`: `{prefix}{sep}{id}` (no sep for an empty prefix), then every
 * `_` in the whole name becomes `sep`. Key Vault names are case-insensitive, so `My_Conn` and
 * `my-conn` are one secret. An id whose normalised form is `head--rest` (head without `-`) is taken
 * for a team-scoped name and never looked up globally.
 */
const azureProfile: BackendProfile = {
  kind: "azure-key-vault",
  title: "Azure Key Vault",
  backendClass: "airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend",
  defaultLayout: (env) => layoutOf((folder) => `airflow-${env}-${folder}`, "-"),
  storageName(layout, kind, id) {
    const prefix = stripTrailing(layout[KIND_PREFIX_KEY[kind]], layout.sep);
    const path = prefix === "" ? id : `${prefix}${layout.sep}${id}`;
    return path.split("_").join(layout.sep);
  },
  checkStorageName(name, path, problems) {
    checkCharset(
      name,
      path,
      problems,
      /^[A-Za-z0-9-]+$/,
      "Key Vault secret names allow only letters, digits and - (after _ becomes -)",
    );
    checkLength(name, path, problems, 127, "Key Vault secret");
  },
  checkId(_kind, id, path, problems) {
    problems.check(
      !/^[^-]+--.+$/.test(id.split("_").join("-")),
      path,
      `Azure ids whose name becomes "x--y" are read as team-scoped and never found (got "${id}")`,
    );
  },
  collisionKey: (name) => name.toLowerCase(),
  maxValueBytes: 25 * 1024,
  connectionKeys: AIRFLOW_CONNECTION_FIELDS,
  supportsLookupPatterns: false,
  encodeConnection: jsonOrUri(AIRFLOW_CONNECTION_FIELDS),
  encodeScalar: identity,
  layoutKwargs: sepAndPrefixKwargs,
};

const PROFILES: Record<BackendKind, BackendProfile> = {
  env: envProfile,
  vault: vaultProfile,
  "aws-secrets-manager": awsSecretsManagerProfile,
  "aws-ssm": awsSsmProfile,
  "gcp-secret-manager": gcpProfile,
  "azure-key-vault": azureProfile,
};

export function backendProfile(kind: BackendKind): BackendProfile {
  const profile = PROFILES[kind];
  if (!profile) throw new Error(`unknown secrets backend "${kind}" (known: ${BACKEND_KINDS.join(", ")})`);
  return profile;
}
