/**
 * The Azure Key Vault backend in the shape every backend has (`../backend.ts`): the settings' shape
 * in `schema.ts`, `resolve` here (pure: the settings rules of `settings.ts`, the store's own rules,
 * the rotation prerequisites, every default and derived name), `AzureAirflowSecrets` to build.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlanArgs, Problems, SecretsDeclarations } from "../airflow";
import type { AirflowSecretsBackend, BackendContext } from "../backend";
import { kubernetesIdentity } from "../kubernetes/serviceAccountNames";
import { checkRotationPrerequisites } from "../rotation/prerequisites";
import { AzureAirflowSecrets, AzureResolved } from "./azureAirflowSecrets";
import { initialRotatedExpiry, staticExpiry } from "./expiry";
import { defaultFunctionAppName, defaultStorageAccountName } from "./naming";
import { checkKeyVaultStore, rotatedSecretNames } from "./secretStore";
import { ResolvedAzureSettings, resolveAzureSettings, vaultLocation } from "./settings";
import { AzureParsedSettings, settingsSchema } from "./schema";

/**
 * What keeps this stack's default global names (vault, storage account, function app) apart from
 * every other stack's: the Pulumi project and stack, read from the running program (no resource).
 */
function nameUniqueness(): string[] {
  return [pulumi.getProject(), pulumi.getStack()];
}

function planArgs(context: BackendContext, settings: Partial<AzureParsedSettings>): PlanArgs {
  const vault = vaultLocation(settings, { environment: context.environment, uniqueness: nameUniqueness() });
  return {
    backend: "azure-key-vault",
    environment: context.environment,
    declarations: context.declarations,
    airflow: context.airflow,
    layout: settings.layout ?? undefined,
    // Unknown while the settings that name the vault are missing; nothing is built then.
    extraKwargs: vault !== undefined ? { vault_url: vault.url } : undefined,
  };
}

function rotates(declarations: SecretsDeclarations): boolean {
  const connections = Array.isArray(declarations.connections) ? declarations.connections : [];
  return connections.some((c) => c?.rotation !== undefined && c?.rotation !== null);
}

/** The rotator reaches the vault (and the database) from where the vault's network lets it. */
function checkRotatorNetwork(settings: ResolvedAzureSettings, problems: Problems): void {
  const { vault, rotation } = settings;
  if (rotation.subnetId === undefined) {
    const closed = vault.publicNetworkAccess === "Disabled" || vault.networkDefaultAction === "Deny";
    problems.check(
      !closed,
      "azure.rotation.subnetId",
      "is required: the vault refuses public traffic, so the rotator needs VNet integration (premium plan) to reach it (and the database)",
    );
  } else if (vault.publicNetworkAccess === "Enabled" && vault.networkDefaultAction === "Deny") {
    const subnet = rotation.subnetId.toLowerCase();
    problems.check(
      vault.subnetIds.some((id) => id.toLowerCase() === subnet),
      "azure.vault.subnetIds",
      "must include rotation.subnetId: the rotator reaches the vault through its firewall from that subnet",
    );
  }
}

export const backend: AirflowSecretsBackend<typeof settingsSchema, AzureResolved> = {
  name: "azure",
  description:
    "Azure Key Vault (AzureKeyVaultBackend) with AKS workload identity, RBAC, diagnostics and rotation",
  settingsSchema,
  planArgs,
  resolve({ context, settings, complete, plan }, problems) {
    const before = problems.list.length;
    const uniqueness = nameUniqueness();
    const resolved = resolveAzureSettings(
      settings,
      complete,
      {
        environment: context.environment,
        production: context.production,
        owner: context.owner,
        uniqueness,
        now: context.now,
      },
      problems,
    );
    checkRotationPrerequisites(context.declarations, context.airflow, problems);
    checkKeyVaultStore(context.declarations, problems);
    if (resolved !== undefined && rotates(context.declarations)) checkRotatorNetwork(resolved, problems);
    // On Kubernetes the identity is federated with the cluster; off it, the host is assigned it.
    if (context.kubernetes !== false)
      problems.check(
        settings.aksOidcIssuerUrl !== undefined,
        "azure.aksOidcIssuerUrl",
        "is required on Kubernetes: Airflow's service accounts reach the managed identity through federated credentials",
      );
    else
      problems.check(
        settings.aksOidcIssuerUrl === undefined,
        "azure.aksOidcIssuerUrl",
        "is the AKS cluster's and kubernetes is false: remove it; assign the managed identity (output airflowIdentityId) to Airflow's host instead",
      );
    if (resolved === undefined || plan === undefined || problems.list.length > before) return undefined;

    const names = [...uniqueness, resolved.resourceGroupName];
    return {
      plan,
      environment: context.environment,
      production: context.production,
      kubernetes: kubernetesIdentity(context),
      settings: resolved,
      rotated: rotatedSecretNames(plan),
      names: {
        storageAccount: defaultStorageAccountName(context.environment, names),
        functionApp: defaultFunctionAppName(context.environment, names),
      },
      expires: {
        secrets: staticExpiry(resolved.expiry, context.now),
        rotatedSecrets: initialRotatedExpiry(context.now),
      },
    };
  },
  component: AzureAirflowSecrets,
};
