/**
 * How the amazon provider's secrets backends turn `backend_kwargs` into a boto session, modelled
 * from its source (cited, not copied) so a test can feed it the kwargs this library renders:
 *
 * - secrets/secrets_manager.py and secrets/systems_manager.py (apache/airflow, providers/amazon):
 *   the constructor takes its own keyword arguments (prefixes, `sep`, lookup patterns,
 *   `extra_conn_words`), pops `full_url_mode`, `are_secret_values_urlencoded` (Secrets Manager),
 *   `api_version` and `use_ssl`, and keeps every other kwarg as the extra of a connection
 *   (`AwsConnectionWrapper.from_connection_metadata(conn_id="<Class>__connection", extra=kwargs)`);
 *   one `client` (cached) serves `get_conn_value`, `get_variable` and `get_config` alike.
 * - utils/connection_wrapper.py @ 02df1653021c2a179e66e2231f6100e450dc2e88: the extra's
 *   `region_name`, `verify`, `profile_name`, `endpoint_url`, `config_kwargs`, `service_config`,
 *   credential keys, and `_get_assume_role_configs(role_arn, assume_role_method="assume_role",
 *   assume_role_kwargs=None)`: without `role_arn` the other two are ignored; a method outside
 *   assume_role / assume_role_with_saml / assume_role_with_web_identity raises. Any other key is kept
 *   in `extra_config` and read by nobody here (a misspelt key is silently ignored).
 * - hooks/base_aws.py @ 0187d0312859d693a52ace61277c096d2224e114: `create_session` with a
 *   `role_arn` builds a basic session (boto's default chain: the pod's IRSA web identity) and
 *   refreshable credentials from `_assume_role`: `sts.assume_role(RoleSessionName=
 *   "Airflow_<conn_id>" stripped of invalid characters, **assume_role_kwargs, RoleArn=role_arn)`.
 * - STS AssumeRole (API reference): RoleSessionName 2-64 of `[\w+=,.@-]`; DurationSeconds 900-43200.
 */

export type AwsBackendClass = "SecretsManagerBackend" | "SystemsManagerParameterStoreBackend";

/** What the backend's client runs as. */
export interface ModelledSession {
  region?: string;
  /** The base credentials: boto's default chain unless the extra carries keys or a profile. */
  baseCredentials: "default chain (IRSA web identity)" | "static keys" | "profile";
  /** Present when the backend assumes a role first. */
  assumeRole?: { RoleArn: string; RoleSessionName: string; [key: string]: unknown };
}

export interface ModelledBackend {
  session: ModelledSession;
  /** Extra keys the connection wrapper keeps but nothing reads: a typo would land here. */
  ignoredKeys: string[];
  /** Where the one client looks each kind up (prefix; `undefined` means that kind is off). */
  prefixes: Record<"connection" | "variable" | "config", string | null>;
}

/** The prefix and lookup pattern of each kind: both classes take them. */
const LOOKUP_KEYS = [
  "connections_prefix",
  "connections_lookup_pattern",
  "variables_prefix",
  "variables_lookup_pattern",
  "config_prefix",
  "config_lookup_pattern",
];
const CONSTRUCTOR_KEYS: Record<AwsBackendClass, string[]> = {
  SecretsManagerBackend: [...LOOKUP_KEYS, "sep", "extra_conn_words"],
  SystemsManagerParameterStoreBackend: [...LOOKUP_KEYS],
};
const POPPED: Record<AwsBackendClass, string[]> = {
  SecretsManagerBackend: ["full_url_mode", "are_secret_values_urlencoded", "api_version", "use_ssl"],
  SystemsManagerParameterStoreBackend: ["api_version", "use_ssl"],
};
const WRAPPER_KEYS = [
  "region_name",
  "verify",
  "profile_name",
  "endpoint_url",
  "config_kwargs",
  "service_config",
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "session_kwargs",
  "role_arn",
  "assume_role_method",
  "assume_role_kwargs",
];
const ASSUME_ROLE_METHODS = ["assume_role", "assume_role_with_saml", "assume_role_with_web_identity"];
const ASSUME_ROLE_KWARGS = [
  "RoleSessionName",
  "DurationSeconds",
  "ExternalId",
  "Policy",
  "PolicyArns",
  "Tags",
];
const DEFAULT_PREFIXES: Record<AwsBackendClass, [string, string, string]> = {
  SecretsManagerBackend: ["airflow/connections", "airflow/variables", "airflow/config"],
  SystemsManagerParameterStoreBackend: ["/airflow/connections", "/airflow/variables", "/airflow/config"],
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Constructs the backend from rendered kwargs; throws where the provider would (or where boto/STS would refuse). */
export function modelAwsBackend(cls: AwsBackendClass, kwargs: Record<string, unknown>): ModelledBackend {
  const rest = { ...kwargs };
  for (const key of [...CONSTRUCTOR_KEYS[cls], ...POPPED[cls]]) delete rest[key];
  const expectString = (key: string) => {
    if (rest[key] !== undefined && typeof rest[key] !== "string")
      throw new TypeError(`${key} must be a string, got ${typeof rest[key]}`);
    return rest[key] as string | undefined;
  };
  const region = expectString("region_name");
  const roleArn = expectString("role_arn");
  const method = expectString("assume_role_method") ?? "assume_role";
  let assumeRole: ModelledSession["assumeRole"];
  if (roleArn) {
    if (!ASSUME_ROLE_METHODS.includes(method))
      throw new Error(`NotImplementedError: assume_role_method=${method}`);
    if (method !== "assume_role") throw new Error(`this model covers assume_role only, not ${method}`);
    const extra = rest.assume_role_kwargs ?? {};
    if (!isObject(extra)) throw new TypeError("assume_role_kwargs must be a dict");
    for (const key of Object.keys(extra))
      if (!ASSUME_ROLE_KWARGS.includes(key))
        throw new Error(`ParamValidationError: unknown parameter ${key} for sts.assume_role`);
    const conn = `${cls}__connection`;
    assumeRole = {
      RoleSessionName: `Airflow_${conn}`.replace(/[^\w+=,.@-]/g, ""),
      ...extra,
      RoleArn: roleArn,
    };
    if (
      typeof assumeRole.RoleSessionName !== "string" ||
      !/^[\w+=,.@-]{2,64}$/.test(assumeRole.RoleSessionName)
    )
      throw new Error("ValidationError: RoleSessionName must be 2-64 of [\\w+=,.@-]");
    if (!/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn))
      throw new Error("ValidationError: RoleArn is not a role ARN");
  }
  const hasKeys = rest.aws_access_key_id !== undefined || isObject(rest.session_kwargs);
  const prefixes = {} as ModelledBackend["prefixes"];
  (["connection", "variable", "config"] as const).forEach((kind, i) => {
    const key = `${kind === "connection" ? "connections" : kind === "variable" ? "variables" : "config"}_prefix`;
    prefixes[kind] = key in kwargs ? (kwargs[key] as string | null) : DEFAULT_PREFIXES[cls][i];
  });
  return {
    session: {
      region,
      baseCredentials: hasKeys
        ? "static keys"
        : rest.profile_name !== undefined
          ? "profile"
          : "default chain (IRSA web identity)",
      assumeRole,
    },
    ignoredKeys: Object.keys(rest).filter((key) => !WRAPPER_KEYS.includes(key)),
    prefixes,
  };
}
