/**
 * Reads one environment's stack config (`airflow-secrets:*` keys in Pulumi.<env>.yaml) into the
 * environment component's args, parsed once here by the stack schemas (components/core): every
 * problem of the file in one error, before any resource is registered. Secret values are `secure:`
 * entries set with `pulumi config set --secret --path`, and the contract wraps every password, extra
 * and value as a Pulumi secret whatever the stack file says.
 */
import * as pulumi from "@pulumi/pulumi";
import { AirflowSecretsEnvironmentConfigArgs } from "../components/environment";
import { Problems } from "../components/airflow";
import { checkNamespaces, parseStackSettings, TOP_LEVEL_KEYS } from "../components/core/stackSettings";
import { CONFIG_NAMESPACE } from "../components/core/stackSchema";

export { CONFIG_NAMESPACE };

/** Production defaults that differ from other environments (documented in the README). */
export const PRODUCTION_DEFAULTS = {
  /** The checklist's `[secrets] use_cache = True, cache_ttl_seconds = 600`. */
  cache: { enabled: true, ttlSeconds: 600 },
};

/** Keys Pulumi hands over as text even when the file holds a map or list (JSON-encoded). */
const SCALAR_KEYS = ["environment", "production", "owner", "backend"];

/**
 * The namespace's keys as the file holds them: Pulumi passes every config value as a string, maps
 * and lists JSON-encoded. A value that should be a map but does not decode stays a string, and the
 * schema names the field.
 */
export function namespaceValues(all: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(all)) {
    if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    const name = key.slice(CONFIG_NAMESPACE.length + 1);
    if (SCALAR_KEYS.includes(name)) {
      raw[name] = text;
      continue;
    }
    try {
      raw[name] = JSON.parse(text);
    } catch {
      raw[name] = text;
    }
  }
  return raw;
}

/** Turns the namespace's keys into the component's args, or throws one error listing every problem. */
export function environmentArgsFromValues(
  raw: Record<string, unknown>,
  allKeys: readonly string[] = [],
): AirflowSecretsEnvironmentConfigArgs {
  const problems = new Problems();
  checkNamespaces(allKeys, problems);
  const parsed = parseStackSettings(raw, problems);
  problems.throwIfAny("Stack configuration");
  const { topLevel, backend, backendSettings, production } = parsed!;
  const airflow = topLevel.airflow ?? { version: "2.10" };
  return {
    environment: topLevel.environment,
    production,
    owner: topLevel.owner,
    backend,
    backendSettings,
    airflow:
      production && airflow.cache === undefined
        ? { ...airflow, cache: { ...PRODUCTION_DEFAULTS.cache } }
        : airflow,
    kubernetes: topLevel.kubernetes ?? { namespace: "airflow", serviceAccount: "airflow" },
    fernet: topLevel.fernet,
    // The standby's block as written: its backend parses it once, with its own schema.
    ...(parsed!.mirror !== undefined ? { mirror: parsed!.mirror } : {}),
    declarations: {
      connections: topLevel.connections ?? [],
      variables: topLevel.variables ?? [],
      config: topLevel.config ?? [],
    },
  } as AirflowSecretsEnvironmentConfigArgs;
}

export function environmentArgsFromConfig(): AirflowSecretsEnvironmentConfigArgs {
  const all = pulumi.runtime.allConfig();
  return environmentArgsFromValues(namespaceValues(all), Object.keys(all));
}

/** The keys the program reads besides the selected backend's block (for messages and docs). */
export const CONFIG_KEYS = TOP_LEVEL_KEYS;
