/**
 * The public rotation API (`airflow-secrets/rotation`): what a TypeScript user composes with the
 * backend components — the strategies, the clone login alternating users create, password generation
 * and its options, and Airflow's JSON connection shape the rotators rewrite. The rotators' runtime
 * (database drivers, SQL, the strategies' steps, cloud clients, rotator configs) stays internal: the
 * rotator bundles import those modules directly, never through this file.
 */
export { ROTATION_STRATEGIES, isRotationStrategy, type RotationStrategy } from "./strategy";
export { CLONE_SUFFIX, alternateLogin } from "./rotate";
export {
  DEFAULT_EXCLUDED_CHARACTERS,
  DEFAULT_PASSWORD_LENGTH,
  MAX_PASSWORD_LENGTH,
  PASSWORD_CHARACTER_CLASSES,
  generatePassword,
  type PasswordOptions,
} from "./password";
export type { AirflowConnectionJson } from "./connection";
