/**
 * The Azure RBAC pieces of the backend: built-in role ids and the two custom roles, written out as
 * data so tests and reviewers can evaluate them. Action names are the Microsoft.KeyVault resource
 * provider's own (case-insensitive in Azure, written in the documented case here).
 */

/** Built-in "Key Vault Secrets User": getSecret + readMetadata on secrets, nothing else. */
export const KEY_VAULT_SECRETS_USER_ROLE_ID = "4633458b-17de-408a-b874-0445c86b69e6";
/** Built-in "Storage Blob Data Owner": the Functions host keeps leases and keys in blobs. */
export const STORAGE_BLOB_DATA_OWNER_ROLE_ID = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
/** Built-in "Storage Blob Data Contributor": Event Grid writes undeliverable events as blobs. */
export const STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

/** `/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{id}` for a built-in role. */
export function builtInRoleDefinitionId(subscriptionId: string, roleId: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

export interface RolePermissions {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

/**
 * The CI writer: creates and updates secrets but can never read a value (separation of duties).
 * Control plane: the ARM secret API `pulumi up` uses (its GET never returns the value). Data plane:
 * set, update attributes, delete and recover (a soft-deleted name must be recovered before it can be
 * set again). Backup is left out on purpose: a backup blob restores into any vault of the
 * subscription, which would be a way to read the value elsewhere; purge too (purge protection).
 */
export const CI_WRITER_PERMISSIONS: RolePermissions = {
  actions: [
    "Microsoft.KeyVault/vaults/read",
    "Microsoft.KeyVault/vaults/secrets/read",
    "Microsoft.KeyVault/vaults/secrets/write",
  ],
  notActions: [],
  dataActions: [
    "Microsoft.KeyVault/vaults/secrets/setSecret/action",
    "Microsoft.KeyVault/vaults/secrets/update/action",
    "Microsoft.KeyVault/vaults/secrets/delete",
    "Microsoft.KeyVault/vaults/secrets/recover/action",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  ],
  notDataActions: [],
};

/**
 * The rotator: reads the current version and writes the next one. Assigned per rotated secret (the
 * secret's own resource id is the scope), so it reaches nothing else in the vault.
 */
export const ROTATOR_PERMISSIONS: RolePermissions = {
  actions: [],
  notActions: [],
  dataActions: [
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/secrets/setSecret/action",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  ],
  notDataActions: [],
};
