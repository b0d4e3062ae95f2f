/**
 * Shipped stack files as the stack program receives them, and the program's parse → resolve run on
 * them (registering nothing): shared by the type fuzzes and the standby tests.
 */
import * as path from "path";
import { readYamlFile } from "../../cli/synth/stackFile";
import { Problems, ValidationError } from "../../components/airflow";
import { CONFIG_NAMESPACE } from "../../components/core/stackSchema";
import { prepareEnvironment } from "../../components/environment";
import { environmentArgsFromValues } from "../../stacks/config";
import { REPO } from "./shippedStacks";

/** One shipped stack file per backend (repository-relative). */
export const SHIPPED_STACK_BY_BACKEND: Readonly<Record<string, string>> = {
  env: "stacks/Pulumi.dev.yaml",
  vault: "stacks/Pulumi.staging.yaml",
  aws: "stacks/Pulumi.prod.yaml",
  gcp: "stacks/examples/Pulumi.prod-gcp.yaml",
  azure: "stacks/examples/Pulumi.prod-azure.yaml",
};

/** `secure:` entries as synth hands them to the program: a placeholder string. */
export function withSecretPlaceholders(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSecretPlaceholders);
  if (value !== null && typeof value === "object")
    return "secure" in value
      ? "[secret]"
      : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSecretPlaceholders(v)]));
  return value;
}

/** The project's config values of a stack file (keys without the namespace), secrets as placeholders. */
export function stackFileValues(file: string): Record<string, unknown> {
  const document = readYamlFile(path.join(REPO, file)) as { config: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document.config))
    if (key.startsWith(`${CONFIG_NAMESPACE}:`))
      raw[key.slice(CONFIG_NAMESPACE.length + 1)] = withSecretPlaceholders(value);
  return raw;
}

/** Runs the stack program's parse and the backends' resolve; returns the problems (empty: accepted). */
export function parseAndResolveProblems(
  raw: Record<string, unknown>,
): readonly { path: string; rule: string }[] {
  let args;
  try {
    args = environmentArgsFromValues(raw);
  } catch (error) {
    if (error instanceof ValidationError) return error.problems;
    throw error;
  }
  const problems = new Problems();
  prepareEnvironment(args, problems);
  return problems.list;
}
