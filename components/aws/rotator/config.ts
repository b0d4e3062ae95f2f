/**
 * Everything about the rotation Lambda a deployment needs to know without loading the handler:
 * environment variables, secret keys, IAM actions. Imports nothing that pulls in `pg` or the SDK.
 */
import { RotationError } from "../../rotation/errors";
import {
  DEFAULT_EXCLUDED_CHARACTERS,
  DEFAULT_PASSWORD_LENGTH,
  type PasswordOptions,
} from "../../rotation/password";
import { isRotationStrategy, ROTATION_STRATEGIES, type RotationStrategy } from "../../rotation/strategy";

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

export interface RotationHandlerConfig {
  endpoint?: string;
  password: Required<Pick<PasswordOptions, "length" | "excludeCharacters">>;
  defaultStrategy: RotationStrategy;
  masterSecretArn?: string;
}

export function readRotationHandlerConfig(
  env: Readonly<Record<string, string | undefined>>,
): RotationHandlerConfig {
  const lengthText = env[ROTATION_HANDLER_ENV.passwordLength];
  const length = lengthText === undefined || lengthText === "" ? DEFAULT_PASSWORD_LENGTH : Number(lengthText);
  if (!Number.isInteger(length)) {
    throw new RotationError("INVALID_CONFIG", `${ROTATION_HANDLER_ENV.passwordLength} must be an integer`);
  }
  const strategy = env[ROTATION_HANDLER_ENV.strategy] || "single-user";
  if (!isRotationStrategy(strategy)) {
    throw new RotationError(
      "INVALID_CONFIG",
      `${ROTATION_HANDLER_ENV.strategy} must be one of ${ROTATION_STRATEGIES.join(", ")}`,
    );
  }
  return {
    endpoint: env[ROTATION_HANDLER_ENV.endpoint] || undefined,
    password: {
      length,
      excludeCharacters: env[ROTATION_HANDLER_ENV.excludeCharacters] ?? DEFAULT_EXCLUDED_CHARACTERS,
    },
    defaultStrategy: strategy,
    masterSecretArn: env[ROTATION_HANDLER_ENV.masterSecretArn] || undefined,
  };
}
