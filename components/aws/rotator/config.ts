/**
 * Everything about the rotation Lambda a deployment needs to know without loading the handler:
 * environment variables, secret keys, IAM actions. Imports nothing that pulls in `pg` or the SDK.
 */
import {
  readPasswordPolicy,
  readStrategy,
  RotatorConfigProblems,
  type RotatedSecretCore,
  type RotatorConfigCore,
  type RotatorPasswordPolicy,
} from "../../rotation/config";

/** The handler's environment variables. */
export const ROTATION_HANDLER_ENV = {
  /** Secrets Manager endpoint override, e.g. a VPC endpoint's DNS name. Default: the regional endpoint. */
  endpoint: "SECRETS_MANAGER_ENDPOINT",
  /** Generated password length, 1–4096. Default 32. */
  passwordLength: "PASSWORD_LENGTH",
  /** Characters never generated. Unset: `"'\/@` and backtick; set to empty: none excluded. */
  excludeCharacters: "EXCLUDE_CHARACTERS",
  /** `single-user` (default) or `alternating-users`, for secrets without a `rotation_strategy` key. */
  strategy: "ROTATION_STRATEGY",
  /** ARN of the master connection secret, for alternating-users secrets without a `masterarn` key. */
  masterSecretArn: "MASTER_SECRET_ARN",
} as const;

/**
 * Optional top-level keys of a connection secret that override the environment per secret.
 * Airflow's Secrets Manager backend keeps only the keys in its alias lists (login/user/…, password/
 * pass/key, …), so these are invisible to Airflow. They must not go into `extra`: the Postgres hook
 * hands unknown extras to psycopg2 as libpq options, and libpq rejects unknown options.
 * `masterarn` is the key AWS's own alternating-users rotation functions read.
 */
export const ROTATION_SECRET_KEYS = {
  masterSecretArn: "masterarn",
  strategy: "rotation_strategy",
} as const;

/** Lambda handler name inside the bundle archive (`index.js` exporting `handler`). */
export const ROTATION_HANDLER_NAME = "index.handler";

/** Secrets Manager actions the handler calls on the rotated secret. */
export const ROTATED_SECRET_ACTIONS = [
  "secretsmanager:DescribeSecret",
  "secretsmanager:GetSecretValue",
  "secretsmanager:PutSecretValue",
  "secretsmanager:UpdateSecretVersionStage",
] as const;

/** The only action the handler calls on the master secret. */
export const MASTER_SECRET_ACTIONS = ["secretsmanager:GetSecretValue"] as const;

/**
 * The handler's configuration: the rotators' shared core (password policy; strategy and master ARN,
 * here the defaults for secrets without their own keys) plus the Secrets Manager endpoint.
 */
export interface RotationHandlerConfig extends RotatorConfigCore {
  endpoint?: string;
  /** For secrets without `rotation_strategy` / `masterarn` keys. */
  defaults: RotatedSecretCore;
}

/**
 * The component side: the handler's environment variables. Generic in the value type because the
 * master ARN and endpoint are often Pulumi outputs; unset password fields are left to the handler's
 * defaults (the rotation core's).
 */
export function rotationHandlerEnvironment<V>(config: {
  endpoint?: V;
  password?: Partial<RotatorPasswordPolicy>;
  defaults: { strategy: RotatedSecretCore["strategy"]; master?: V };
}): Record<string, string | V> {
  const variables: Record<string, string | V> = { [ROTATION_HANDLER_ENV.strategy]: config.defaults.strategy };
  if (config.defaults.master !== undefined)
    variables[ROTATION_HANDLER_ENV.masterSecretArn] = config.defaults.master;
  if (config.password?.length !== undefined)
    variables[ROTATION_HANDLER_ENV.passwordLength] = String(config.password.length);
  if (config.password?.excludeCharacters !== undefined)
    variables[ROTATION_HANDLER_ENV.excludeCharacters] = config.password.excludeCharacters;
  if (config.endpoint !== undefined) variables[ROTATION_HANDLER_ENV.endpoint] = config.endpoint;
  return variables;
}

/** The runtime side: the environment read into the shared core and checked by it. */
export function readRotationHandlerConfig(
  env: Readonly<Record<string, string | undefined>>,
): RotationHandlerConfig {
  const problems = new RotatorConfigProblems("the rotation function's environment");
  const set = (key: string) => (env[key] === undefined || env[key] === "" ? undefined : env[key]);
  const lengthText = set(ROTATION_HANDLER_ENV.passwordLength);
  const password = readPasswordPolicy(
    {
      length: lengthText === undefined ? undefined : Number(lengthText),
      excludeCharacters: env[ROTATION_HANDLER_ENV.excludeCharacters],
    },
    "",
    problems,
    {
      length: ROTATION_HANDLER_ENV.passwordLength,
      excludeCharacters: ROTATION_HANDLER_ENV.excludeCharacters,
    },
  );
  const strategy = readStrategy(
    set(ROTATION_HANDLER_ENV.strategy) ?? "single-user",
    ROTATION_HANDLER_ENV.strategy,
    problems,
  );
  // The master ARN may also be in the secret itself (`masterarn`): required when a secret needs it.
  const master = set(ROTATION_HANDLER_ENV.masterSecretArn);
  const defaults: RotatedSecretCore = master === undefined ? { strategy } : { strategy, master };
  problems.throwIfAny();
  return { endpoint: set(ROTATION_HANDLER_ENV.endpoint), password, defaults };
}
