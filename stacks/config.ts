/**
 * Reads one environment's stack config (`airflow-secrets:*` keys in Pulumi.<env>.yaml) into the
 * environment component's args. Structure (ids, types, paths) is plain config; secret values are
 * `secure:` entries set with `pulumi config set --secret --path`, and the contract wraps every
 * password, extra and value as a Pulumi secret whatever the stack file says.
 */
import * as pulumi from "@pulumi/pulumi";
import { AirflowSecretsEnvironmentArgs } from "../components/environment";
import {
  AirflowSettings,
  ConfigDeclaration,
  ConnectionDeclaration,
  FernetSettings,
  VariableDeclaration,
} from "../components/airflow";
import { Problems } from "../components/airflow";
import { STACK_BACKEND_NAMES } from "../components/registry";
import { KubernetesSettings } from "../components/stackBackend";

export const CONFIG_NAMESPACE = "airflow-secrets";

/** Production defaults that differ from other environments (documented in the README). */
export const PRODUCTION_DEFAULTS = {
  /** The checklist's `[secrets] use_cache = True, cache_ttl_seconds = 600`. */
  cache: { enabled: true, ttlSeconds: 600 },
};

/** Every `airflow-secrets:*` key the program reads, besides the selected backend's settings. */
const CONFIG_KEYS = [
  "environment",
  "production",
  "owner",
  "backend",
  "airflow",
  "kubernetes",
  "fernet",
  "connections",
  "variables",
  "config",
];

/**
 * A misspelt key (`conections:`) would otherwise be ignored, and an empty connection list would
 * delete every secret already deployed; another backend's settings block is a leftover that reads
 * as if it applied. Both are refused before the program registers anything.
 */
export function checkStackConfigKeys(keys: readonly string[], backend: string): void {
  const problems = new Problems();
  for (const key of keys) {
    if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    const name = key.slice(CONFIG_NAMESPACE.length + 1);
    if (CONFIG_KEYS.includes(name) || name === backend) continue;
    problems.add(
      key,
      STACK_BACKEND_NAMES.includes(name)
        ? `settings for the ${name} backend, but this stack selects backend: ${backend}; remove them`
        : `is not a key this program reads (known: ${[...CONFIG_KEYS, backend].join(", ")})`,
    );
  }
  problems.throwIfAny("Stack configuration");
}

export function environmentArgsFromConfig(
  config = new pulumi.Config(CONFIG_NAMESPACE),
): AirflowSecretsEnvironmentArgs {
  const environment = config.require("environment");
  const backend = config.require("backend");
  checkStackConfigKeys(Object.keys(pulumi.runtime.allConfig()), backend);
  const production = config.getBoolean("production") ?? environment === "prod";
  const airflow = config.getObject<AirflowSettings>("airflow") ?? { version: "2.10" };
  if (production && airflow.cache === undefined) airflow.cache = { ...PRODUCTION_DEFAULTS.cache };
  const kubernetes = config.getObject<KubernetesSettings>("kubernetes") ?? {
    namespace: "airflow",
    serviceAccount: "airflow",
  };
  return {
    environment,
    production,
    owner: config.get("owner"),
    backend,
    backendSettings: config.getObject<Record<string, unknown>>(backend) ?? {},
    airflow,
    kubernetes,
    fernet: config.getObject<FernetSettings>("fernet"),
    declarations: {
      connections: config.getObject<ConnectionDeclaration[]>("connections") ?? [],
      variables: config.getObject<VariableDeclaration[]>("variables") ?? [],
      config: config.getObject<ConfigDeclaration[]>("config") ?? [],
    },
  };
}
