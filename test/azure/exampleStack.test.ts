/**
 * The example production stack synthesises offline (what `npm run synth -- --config-file
 * stacks/examples/Pulumi.prod-azure.yaml` prints), with Airflow pointed at the vault it creates.
 */
import * as path from "path";
import { isSecretValue } from "../../cli/synth/mockRuntime";
import { findProject } from "../../cli/synth/stackFile";
import { synthesize, SynthResult } from "../../cli/synth/synth";

let result: SynthResult;
beforeAll(async () => {
  const project = findProject(path.resolve(__dirname, "../.."));
  result = await synthesize({
    project,
    stack: "prod-azure",
    configFile: path.join(project.root, "stacks/examples/Pulumi.prod-azure.yaml"),
  });
});

test("Airflow reads the vault the stack creates, under the names Key Vault allows", () => {
  const vaultName = result.outputs.keyVaultName as string;
  expect(vaultName).toMatch(/^kv-airflow-prod-[0-9a-f]{5}$/);
  expect(result.outputs.keyVaultUrl).toBe(`https://${vaultName}.vault.azure.net/`);
  expect(JSON.parse(result.airflowConfig!.env.AIRFLOW__SECRETS__BACKEND_KWARGS).vault_url).toBe(
    `https://${vaultName}.vault.azure.net/`,
  );
  expect(result.outputs.keyVaultSecretNames).toEqual([
    "airflow-prod-config-fernet-key",
    "airflow-prod-connections-my-conn",
    "airflow-prod-connections-slack-alerts",
    "airflow-prod-connections-warehouse",
    "airflow-prod-connections-warehouse-admin",
    "airflow-prod-variables-adls-landing-container",
    "airflow-prod-variables-alert-email",
  ]);
});

test("every stored value is secret, and the rotated pair has the rotation wiring", () => {
  const secrets = result.raw.filter((r) => r.type === "azure-native:keyvault:Secret");
  // The seven Airflow reads and nothing else: the rotator's journals are blobs of its own storage.
  expect(secrets.map((s) => s.inputs.secretName).sort()).toEqual(result.outputs.keyVaultSecretNames);
  for (const secret of secrets) expect(isSecretValue(secret.inputs.properties)).toBe(true);
  const subscription = result.raw.find(
    (r) => r.type === "azure-native:eventgrid:SystemTopicEventSubscription",
  )!;
  const filter = subscription.inputs.filter as { advancedFilters: Array<{ values: string[] }> };
  expect(filter.advancedFilters[0].values.sort()).toEqual([
    "airflow-prod-connections-warehouse",
    "airflow-prod-connections-warehouse-admin",
  ]);
  const fernet = secrets.find((s) => s.inputs.secretName === "airflow-prod-config-fernet-key")!;
  expect([fernet.protect, fernet.retainOnDelete]).toEqual([true, true]);
});
