import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { Problems, validateOrThrow } from "../airflow";
import { perServiceAccountName } from "../kubernetes/serviceAccountNames";
import { checkGuid, checkResourceGroupName } from "./naming";
import {
  CI_WRITER_PERMISSIONS,
  KEY_VAULT_SECRETS_USER_ROLE_ID,
  ROTATOR_PERMISSIONS,
  RolePermissions,
  builtInRoleDefinitionId,
} from "./rbac";
import { PrincipalType, checkIssuerUrl } from "./settings";

/** The audience AKS workload identity tokens carry for Entra token exchange. */
export const WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange";

const K8S_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Entra ID accepts at most 20 federated identity credentials per user-assigned identity
 * (https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations).
 */
export const MAX_FEDERATED_CREDENTIALS = 20;

/** A federated credential's name: 3-120 URL-friendly characters, unique on its identity. */
export function federatedCredentialName(namespace: string, serviceAccount: string): string {
  return `aks-${namespace}-${serviceAccount}`.slice(0, 120);
}

export interface ScopedSecret {
  name: string;
  id: pulumi.Input<string>;
}

export interface KeyVaultAccessArgs {
  environment: string;
  /** The vault every grant is scoped to. */
  vault: { id: pulumi.Input<string>; name: string; resourceGroupName: string };
  subscriptionId: pulumi.Input<string>;
  /** Where the managed identity is created. */
  resourceGroupName: string;
  location: string;
  /** The AKS cluster's OIDC issuer (https); absent off Kubernetes. */
  oidcIssuerUrl?: string;
  /**
   * Airflow runs off Kubernetes: the identity gets no federated credential (namespace and service
   * accounts are empty); its owner assigns it to Airflow's host (a VM, a container app).
   */
  offKubernetes?: boolean;
  /** Airflow's Kubernetes namespace and service accounts: one federated credential (subject) per name. */
  namespace: string;
  serviceAccounts: string[];
  /** The shared account (`KubernetesIdentity.sharedServiceAccount`): its credential keeps its resource name. */
  sharedServiceAccount?: string;
  /** The CI principal that writes, and can never read, secrets. */
  ciWriter?: { principalId: string; principalType?: PrincipalType };
  /**
   * The rotator's identity, the secrets it reads and writes (the rotated secrets) and the master
   * secrets it only reads, each by stored name and resource id (the assignment scope).
   */
  rotator?: { principalId: pulumi.Input<string>; secrets: ScopedSecret[]; masterSecrets: ScopedSecret[] };
  tags?: Record<string, string>;
}

export function validateKeyVaultAccessArgs(args: KeyVaultAccessArgs, problems: Problems): void {
  checkResourceGroupName(args.resourceGroupName, "resourceGroupName", problems);
  if (args.ciWriter)
    checkGuid(args.ciWriter.principalId, "ciWriter.principalId", problems, "the CI principal's object id");
  if (args.offKubernetes === true) return;
  checkIssuerUrl(args.oidcIssuerUrl, "oidcIssuerUrl", problems);
  problems.check(
    K8S_NAME.test(args.namespace ?? ""),
    "namespace",
    `must be a Kubernetes namespace name (got ${JSON.stringify(args.namespace)})`,
  );
  const accounts = Array.isArray(args.serviceAccounts) ? [...new Set(args.serviceAccounts)] : [];
  problems.check(accounts.length > 0, "serviceAccounts", "must name at least one Kubernetes service account");
  problems.check(
    accounts.length <= MAX_FEDERATED_CREDENTIALS,
    "serviceAccounts",
    `names ${accounts.length} service accounts: Entra ID allows at most ${MAX_FEDERATED_CREDENTIALS} federated credentials per managed identity`,
  );
  accounts.forEach((account, i) =>
    problems.check(K8S_NAME.test(account ?? ""), `serviceAccounts[${i}]`, "must be a Kubernetes name"),
  );
  const credentialNames = accounts.map((account) => federatedCredentialName(args.namespace, account));
  problems.check(
    new Set(credentialNames).size === credentialNames.length,
    "serviceAccounts",
    "are too long to tell apart in Azure's 120-character federated credential names: shorten them",
  );
}

/**
 * Who may do what with the vault, all in Azure RBAC and all scoped to the one vault:
 * - Airflow: a user-assigned managed identity federated with the AKS service account (workload
 *   identity), holding the built-in Key Vault Secrets User (read) on the vault;
 * - CI: a custom writer role that sets, updates, deletes and lists secrets but has no getSecret;
 * - the rotator: a custom role with get + set, assigned on each rotated secret only.
 */
export class KeyVaultAccess extends pulumi.ComponentResource {
  readonly identity: managedidentity.UserAssignedIdentity;
  /** One per Kubernetes service account, created one after another (see below). */
  readonly federatedCredentials: managedidentity.FederatedIdentityCredential[] = [];
  /**
   * @deprecated The first of `federatedCredentials` (the only one with one shared service account);
   * absent off Kubernetes.
   */
  readonly federatedCredential?: managedidentity.FederatedIdentityCredential;
  readonly readerAssignment: authorization.RoleAssignment;
  readonly writerRole?: authorization.RoleDefinition;
  readonly writerAssignment?: authorization.RoleAssignment;
  readonly rotatorRole?: authorization.RoleDefinition;
  readonly rotatorAssignments: authorization.RoleAssignment[] = [];
  /** For Airflow's service account: `azure.workload.identity/client-id` and `/tenant-id`. */
  readonly serviceAccountAnnotations: Record<string, pulumi.Output<string>>;
  /** `azure.workload.identity/use: "true"` (pods need the same label; see README). */
  readonly serviceAccountLabels: Record<string, string>;

  constructor(name: string, args: KeyVaultAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrThrow("KeyVaultAccess", (problems) => validateKeyVaultAccessArgs(args, problems));
    super("airflow-secrets:azure:KeyVaultAccess", name, {}, opts);

    this.identity = new managedidentity.UserAssignedIdentity(
      `${name}-airflow`,
      {
        resourceName: `id-airflow-${args.environment}`,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
      },
      { parent: this },
    );
    const accounts = args.offKubernetes === true ? [] : [...new Set(args.serviceAccounts)];
    for (const account of accounts) {
      const previous = this.federatedCredentials.at(-1);
      this.federatedCredentials.push(
        new managedidentity.FederatedIdentityCredential(
          // The shared account's credential keeps its URN: a second resource with the same
          // credential name would delete it when the first is deleted.
          perServiceAccountName(`${name}-airflow-aks`, { ...args, serviceAccounts: accounts }, account),
          {
            resourceGroupName: args.resourceGroupName,
            resourceName: this.identity.name,
            federatedIdentityCredentialResourceName: federatedCredentialName(args.namespace, account),
            // Credentials exist only on Kubernetes, where validateKeyVaultAccessArgs required the issuer.
            issuer: args.oidcIssuerUrl!,
            subject: `system:serviceaccount:${args.namespace}:${account}`,
            audiences: [WORKLOAD_IDENTITY_AUDIENCE],
          },
          // Entra ID refuses concurrent credential writes on one identity (409): one at a time.
          { parent: this, ...(previous ? { dependsOn: [previous] } : {}) },
        ),
      );
    }
    this.federatedCredential = this.federatedCredentials[0];
    const secretsUser = pulumi
      .output(args.subscriptionId)
      .apply((id) => builtInRoleDefinitionId(id, KEY_VAULT_SECRETS_USER_ROLE_ID));
    this.readerAssignment = new authorization.RoleAssignment(
      `${name}-airflow-reader`,
      {
        scope: args.vault.id,
        principalId: this.identity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: secretsUser,
        description: `Airflow (${args.environment}) reads its secrets from ${args.vault.name}`,
      },
      { parent: this },
    );

    // Custom roles are assignable at resource-group scope at the narrowest (Azure's documented
    // limit); every assignment below is made on the vault or on single secrets.
    const groupScope = pulumi.interpolate`/subscriptions/${args.subscriptionId}/resourceGroups/${args.vault.resourceGroupName}`;
    const customRole = (
      suffix: string,
      roleName: string,
      description: string,
      permissions: RolePermissions,
    ) =>
      new authorization.RoleDefinition(
        `${name}-${suffix}`,
        {
          scope: groupScope,
          roleName,
          description,
          roleType: "CustomRole",
          permissions: [permissions],
          assignableScopes: [groupScope],
        },
        { parent: this },
      );

    if (args.ciWriter) {
      this.writerRole = customRole(
        "ci-writer-role",
        `Airflow secrets writer (${args.vault.name})`,
        `Writes Airflow secrets in ${args.vault.name} and cannot read their values.`,
        CI_WRITER_PERMISSIONS,
      );
      this.writerAssignment = new authorization.RoleAssignment(
        `${name}-ci-writer`,
        {
          scope: args.vault.id,
          principalId: args.ciWriter.principalId,
          principalType: args.ciWriter.principalType ?? "ServicePrincipal",
          roleDefinitionId: this.writerRole.id,
          description: `CI writes (never reads) Airflow ${args.environment} secrets`,
        },
        { parent: this },
      );
    }

    if (args.rotator) {
      const rotator = args.rotator;
      this.rotatorRole = customRole(
        "rotator-role",
        `Airflow secrets rotator (${args.vault.name})`,
        `Reads and writes the rotated Airflow secrets of ${args.vault.name}; assigned per secret.`,
        ROTATOR_PERMISSIONS,
      );
      rotator.secrets.forEach((secret) =>
        this.rotatorAssignments.push(
          new authorization.RoleAssignment(
            `${name}-rotator-${secret.name}`,
            {
              scope: secret.id,
              principalId: rotator.principalId,
              principalType: "ServicePrincipal",
              roleDefinitionId: this.rotatorRole!.id,
            },
            { parent: this },
          ),
        ),
      );
      rotator.masterSecrets.forEach((secret) =>
        this.rotatorAssignments.push(
          new authorization.RoleAssignment(
            `${name}-rotator-reads-${secret.name}`,
            {
              scope: secret.id,
              principalId: rotator.principalId,
              principalType: "ServicePrincipal",
              roleDefinitionId: secretsUser,
            },
            { parent: this },
          ),
        ),
      );
    }

    this.serviceAccountAnnotations = {
      "azure.workload.identity/client-id": this.identity.clientId,
      "azure.workload.identity/tenant-id": this.identity.tenantId,
    };
    this.serviceAccountLabels = { "azure.workload.identity/use": "true" };
    this.registerOutputs({ clientId: this.identity.clientId, principalId: this.identity.principalId });
  }
}
