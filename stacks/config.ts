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
import { KubernetesSettings } from "../components/stackBackend";

export const CONFIG_NAMESPACE = "airflow-secrets";

/** Production defaults that differ from other environments (documented in the README). */
export const PRODUCTION_DEFAULTS = {
  /** The checklist's `[secrets] use_cache = True, cache_ttl_seconds = 600`. */
  cache: { enabled: true, ttlSeconds: 600 },
};

export function environmentArgsFromConfig(
  config = new pulumi.Config(CONFIG_NAMESPACE),
): AirflowSecretsEnvironmentArgs {
  const environment = config.require("environment");
  const backend = config.require("backend");
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
