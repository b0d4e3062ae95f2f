/**
 * What the deployed rotation function is told about the secrets it manages, passed as one JSON
 * environment variable (ids and strategies only: no secret material): the rotators' shared core
 * (password policy; per secret, strategy and master secret id) plus the project.
 */
import {
  parseRotatorConfigJson,
  readPasswordPolicy,
  readRotatedSecret,
  readSecretsMap,
  RotatorConfigProblems,
  type RotatedSecretCore,
  type RotatorConfigCore,
} from "../../rotation/config";

export const ROTATOR_CONFIG_ENV = "AIRFLOW_SECRETS_ROTATOR_CONFIG";

export interface ManagedSecret extends RotatedSecretCore {
  /** Airflow conn_id (for logs). */
  connId: string;
}

export interface RotatorConfig extends RotatorConfigCore {
  projectId: string;
  projectNumber: string;
  /** Managed secrets by secret id (the short id, as in `projects/P/secrets/{id}`); `master` is a secret id too. */
  secrets: Record<string, ManagedSecret>;
}

/** Parses and checks the function's configuration; a broken deployment fails loudly on its first event. */
export function parseRotatorConfig(text: string | undefined): RotatorConfig {
  const value = parseRotatorConfigJson(ROTATOR_CONFIG_ENV, text);
  const problems = new RotatorConfigProblems(ROTATOR_CONFIG_ENV);
  const { projectId, projectNumber } = value;
  if (typeof projectId !== "string" || projectId === "") problems.add("projectId", "must be a string");
  if (typeof projectNumber !== "string" || !/^\d+$/.test(projectNumber))
    problems.add("projectNumber", "must be digits");
  const secrets = readSecretsMap(value.secrets, "secrets", problems, (entry, path): ManagedSecret => {
    const core = readRotatedSecret(entry, path, problems, { masterRequired: true });
    const connId = (entry as { connId?: unknown } | undefined)?.connId;
    if (typeof connId !== "string") problems.add(`${path}.connId`, "must be a string");
    return { ...core, connId: typeof connId === "string" ? connId : "" };
  });
  const password = readPasswordPolicy(value.password, "password", problems);
  problems.throwIfAny();
  return { projectId: projectId as string, projectNumber: projectNumber as string, secrets, password };
}
