/**
 * What the deployed rotation function is told about the secrets it manages, passed as one JSON
 * environment variable (ids and strategies only: no secret material).
 */
import type { RotationDeclaration } from "../../airflow/declarations";

export const ROTATOR_CONFIG_ENV = "AIRFLOW_SECRETS_ROTATOR_CONFIG";

export type RotationStrategyName = RotationDeclaration["strategy"];

export interface ManagedSecret {
  /** Airflow conn_id (for logs). */
  connId: string;
  strategy: RotationStrategyName;
  /** Secret id of the master connection (alternating users create and change logins with it). */
  masterSecret?: string;
}

export interface RotatorConfig {
  projectId: string;
  projectNumber: string;
  /** Managed secrets by secret id (the short id, as in `projects/P/secrets/{id}`). */
  secrets: Record<string, ManagedSecret>;
  password: { length: number; excludeCharacters?: string };
}

const STRATEGIES: readonly RotationStrategyName[] = ["single-user", "alternating-users"];

/** Parses and checks the function's configuration; a broken deployment fails loudly on its first event. */
export function parseRotatorConfig(text: string | undefined): RotatorConfig {
  if (!text) throw new Error(`${ROTATOR_CONFIG_ENV} is not set`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${ROTATOR_CONFIG_ENV} is not valid JSON`);
  }
  const config = value as RotatorConfig;
  const problems: string[] = [];
  if (typeof config?.projectId !== "string" || config.projectId === "")
    problems.push("projectId must be a string");
  if (typeof config?.projectNumber !== "string" || !/^\d+$/.test(config.projectNumber))
    problems.push("projectNumber must be digits");
  if (config?.secrets === null || typeof config?.secrets !== "object")
    problems.push("secrets must be an object");
  for (const [id, managed] of Object.entries(config?.secrets ?? {})) {
    if (!STRATEGIES.includes(managed?.strategy))
      problems.push(`secrets.${id}.strategy must be one of ${STRATEGIES.join(", ")}`);
    if (managed?.strategy === "alternating-users" && typeof managed.masterSecret !== "string") {
      problems.push(`secrets.${id}.masterSecret is required for alternating-users`);
    }
  }
  if (!Number.isInteger(config?.password?.length)) problems.push("password.length must be an integer");
  if (problems.length > 0) throw new Error(`${ROTATOR_CONFIG_ENV} is invalid: ${problems.join("; ")}`);
  return config;
}
