/**
 * Baseline URNs removed on purpose: resources a change deleted by design, which `pulumi up` deletes
 * on a deployed stack (nothing Airflow reads is ever among them). The stability test accepts a
 * baseline URN nobody answers only when an entry here names it, and holds the list to be exact:
 * every entry matches at least one baseline URN, and every baseline URN an entry matches is really
 * gone (answered by no resource, directly or through an alias). Add an entry with the change that
 * removes the resources, and say why and what a deployed stack must do about it.
 */

export interface RemovedUrns {
  /** The resource type (the last of the URN's type chain). */
  type: string;
  /** The component type the resource was registered under (the one before it in the chain). */
  parent: string;
  /** The resource name. */
  name: RegExp;
  /** Why it is gone, and where the upgrade note is. */
  reason: string;
}

export const REMOVED_URNS: readonly RemovedUrns[] = [
  {
    type: "azure-native:keyvault:Secret",
    parent: "airflow-secrets:azure:KeyVaultSecretStore",
    name: /^.+-rotation-pending$/,
    reason:
      "Azure rotation journals moved out of the vault Airflow reads into the rotator's own storage " +
      "(issue 19: a rotated connection is 2 resources); see README, Upgrading, Azure rotation journals",
  },
  {
    type: "azure-native:authorization:RoleAssignment",
    parent: "airflow-secrets:azure:KeyVaultAccess",
    name: /^.+-access-rotator-.+-rotation-pending$/,
    reason: "the rotator's assignment on each of those journal secrets, gone with them (issue 19)",
  },
];

/** The URN's resource type, the component it sits under, and its name. */
function parts(urn: string): { type: string; parent: string | undefined; name: string } {
  const [, , chain, ...name] = urn.split("::");
  const types = chain.split("$");
  return { type: types[types.length - 1], parent: types[types.length - 2], name: name.join("::") };
}

/** The entry that names `urn` as removed on purpose, if any. */
export function removalOf(urn: string): RemovedUrns | undefined {
  const { type, parent, name } = parts(urn);
  return REMOVED_URNS.find((r) => r.type === type && r.parent === parent && r.name.test(name));
}
