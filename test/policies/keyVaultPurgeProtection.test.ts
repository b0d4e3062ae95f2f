import { keyVaultPurgeProtection as policy } from "../../policies/policies";
import { resource, violations } from "./harness";

const vault = (stack: string, properties: Record<string, unknown>) =>
  resource(stack, "azure-native:keyvault:Vault", "kv", {
    resourceGroupName: "rg-airflow",
    properties: { tenantId: "t", sku: { family: "A", name: "standard" }, ...properties },
  });

describe("key-vault-purge-protection", () => {
  it("passes a production vault with purge protection and the default retention", async () => {
    expect(
      await violations(policy, [vault("prod", { enablePurgeProtection: true, enableSoftDelete: true })]),
    ).toEqual([]);
  });

  it("reports a production vault without purge protection or with a short retention", async () => {
    expect(await violations(policy, [vault("prod", { softDeleteRetentionInDays: 7 })])).toEqual([
      'Key Vault "kv" has no purge protection: set properties.enablePurgeProtection: true.',
      'Key Vault "kv" keeps deleted objects 7 days; production needs 30.',
    ]);
  });

  it("requires soft delete everywhere but purge protection only in production", async () => {
    expect(await violations(policy, [vault("dev", {})])).toEqual([]);
    expect(await violations(policy, [vault("dev", { enableSoftDelete: false })])).toEqual([
      'Key Vault "kv" disables soft delete: deleted secrets and keys could not be recovered.',
    ]);
  });

  it("applies to managed HSMs too", async () => {
    const hsm = resource("prod", "azure-native:keyvault:ManagedHsm", "hsm", {
      properties: { enablePurgeProtection: false },
    });
    expect(await violations(policy, [hsm])).toEqual([
      'Managed HSM "hsm" has no purge protection: set properties.enablePurgeProtection: true.',
    ]);
  });
});
