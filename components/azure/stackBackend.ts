import { StackBackend } from "../stackBackend";
import {
  AirflowKeyVaultSecrets,
  AirflowKeyVaultSecretsArgs,
  validateAirflowKeyVaultSecrets,
} from "./airflowKeyVaultSecrets";
import { AzureBackendSettings } from "./settings";

/** Azure Key Vault read by Airflow's AzureKeyVaultBackend, with AKS workload identity. */
export const azureStackBackend: StackBackend = {
  name: "azure",
  description:
    "Azure Key Vault (AzureKeyVaultBackend) with AKS workload identity, RBAC, diagnostics and rotation",
  prepare(context, problems) {
    const args: AirflowKeyVaultSecretsArgs = {
      ...context,
      settings: context.settings as unknown as AzureBackendSettings,
    };
    const validated = validateAirflowKeyVaultSecrets(args, problems);
    if (!validated) return undefined;
    // Pin what validation saw, so deploy derives the very same names and expiries.
    const pinned = { ...args, now: validated.now, uniqueness: validated.uniqueness };
    return {
      deploy(parent) {
        const secrets = new AirflowKeyVaultSecrets(`${context.environment}-azure`, pinned, { parent });
        return {
          airflowConfig: secrets.airflowConfig,
          serviceAccountAnnotations: secrets.serviceAccountAnnotations,
          serviceAccountLabels: secrets.serviceAccountLabels,
          outputs: {
            keyVaultId: secrets.vault.id,
            keyVaultName: secrets.vault.vaultName,
            keyVaultUrl: secrets.vault.url,
            keyVaultSecretNames: Object.keys(secrets.store.secrets).sort(),
            airflowIdentityClientId: secrets.access.identity.clientId,
            airflowIdentityPrincipalId: secrets.access.identity.principalId,
            ...(secrets.access.writerRole ? { ciWriterRoleDefinitionId: secrets.access.writerRole.id } : {}),
            logAnalyticsWorkspaceId: secrets.diagnostics.workspaceId,
            ...(secrets.rotation ? { rotatorFunctionAppId: secrets.rotation.functionApp.id } : {}),
          },
        };
      },
    };
  },
};
