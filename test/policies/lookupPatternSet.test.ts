import { lookupPatternSet as policy } from "../../policies/policies";
import { resource, violations } from "./harness";

const SECRETS_MANAGER = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend";
const configMap = (stack: string, data: Record<string, string>) =>
  resource(stack, "kubernetes:core/v1:ConfigMap", `${stack}-airflow-config-env`, {
    metadata: { name: "airflow" },
    data,
  });

describe("lookup-pattern-set", () => {
  it("passes end-anchored patterns for every queried kind, and null prefixes without one", async () => {
    const kwargs = {
      connections_prefix: "airflow/prod/connections",
      connections_lookup_pattern: "^(?:warehouse|slack_alerts)\\Z",
      variables_prefix: null,
      config_prefix: "airflow/prod/config",
      config_lookup_pattern: "^(?:fernet_key)$",
    };
    const data = {
      AIRFLOW__SECRETS__BACKEND: SECRETS_MANAGER,
      AIRFLOW__SECRETS__BACKEND_KWARGS: JSON.stringify(kwargs),
    };
    expect(await violations(policy, [configMap("prod", data)])).toEqual([]);
  });

  it("reports missing and unanchored patterns, including kinds left on their default prefix", async () => {
    const kwargs = {
      connections_prefix: "airflow/prod/connections",
      connections_lookup_pattern: "^warehouse",
      config_prefix: null,
    };
    const data = {
      AIRFLOW__SECRETS__BACKEND: SECRETS_MANAGER,
      AIRFLOW__SECRETS__BACKEND_KWARGS: JSON.stringify(kwargs),
    };
    expect(await violations(policy, [configMap("prod", data)])).toEqual([
      '"prod-airflow-config-env" AIRFLOW__SECRETS__BACKEND_KWARGS connections_lookup_pattern is not anchored at the end (\\Z): Airflow\'s re.match also accepts longer ids.',
      '"prod-airflow-config-env" AIRFLOW__SECRETS__BACKEND_KWARGS has no variables_lookup_pattern: every variables lookup goes to the backend.',
    ]);
  });

  it("checks Airflow 3 worker settings and SSM the same way", async () => {
    const data = {
      AIRFLOW__WORKERS__SECRETS_BACKEND:
        "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
      AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS: JSON.stringify({
        variables_prefix: null,
        config_prefix: null,
      }),
    };
    expect(await violations(policy, [configMap("prod", data)])).toEqual([
      '"prod-airflow-config-env" AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS has no connections_lookup_pattern: every connections lookup goes to the backend.',
    ]);
  });

  it("ignores backends without lookup patterns and non-production stacks", async () => {
    const vault = {
      AIRFLOW__SECRETS__BACKEND: "airflow.providers.hashicorp.secrets.vault.VaultBackend",
      AIRFLOW__SECRETS__BACKEND_KWARGS: "{}",
    };
    const aws = { AIRFLOW__SECRETS__BACKEND: SECRETS_MANAGER, AIRFLOW__SECRETS__BACKEND_KWARGS: "{}" };
    expect(await violations(policy, [configMap("prod", vault), configMap("dev", aws)])).toEqual([]);
  });
});
