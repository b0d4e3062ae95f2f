import { kmsKeyRotationAndDeletionWindow as policy } from "../../policies/policies";
import { resource, violations } from "./harness";

const awsKey = (stack: string, inputs: Record<string, unknown>) =>
  resource(stack, "aws:kms/key:Key", "secrets-key", {
    customerMasterKeySpec: "SYMMETRIC_DEFAULT",
    ...inputs,
  });

describe("kms-key-rotation-and-deletion-window", () => {
  it("passes an AWS key that rotates, with the 30-day default or an explicit 30-day window", async () => {
    expect(await violations(policy, [awsKey("prod", { enableKeyRotation: true })])).toEqual([]);
    expect(
      await violations(policy, [awsKey("prod", { enableKeyRotation: true, deletionWindowInDays: 30 })]),
    ).toEqual([]);
  });

  it("reports an AWS key without rotation and a production window shorter than 30 days", async () => {
    expect(await violations(policy, [awsKey("prod", { deletionWindowInDays: 7 })])).toEqual([
      'KMS key "secrets-key" has enableKeyRotation off: set enableKeyRotation: true.',
      'KMS key "secrets-key" has a 7-day deletion window; production needs 30 days.',
    ]);
  });

  it("allows a 7-day window outside production but not less", async () => {
    expect(
      await violations(policy, [awsKey("dev", { enableKeyRotation: true, deletionWindowInDays: 7 })]),
    ).toEqual([]);
    expect(
      await violations(policy, [awsKey("dev", { enableKeyRotation: true, deletionWindowInDays: 7 })], {
        "kms-key-rotation-and-deletion-window": { minDeletionWindowDays: 10 },
      }),
    ).toEqual(['KMS key "secrets-key" has a 7-day deletion window; the minimum is 10 days.']);
  });

  it("does not ask asymmetric keys to rotate (AWS cannot) and bounds an explicit rotation period", async () => {
    expect(await violations(policy, [awsKey("prod", { customerMasterKeySpec: "RSA_2048" })])).toEqual([]);
    expect(
      await violations(policy, [awsKey("prod", { enableKeyRotation: true, rotationPeriodInDays: 730 })]),
    ).toEqual(['KMS key "secrets-key" rotates every 730 days; the limit is 365.']);
  });

  it("checks replica keys' own deletion window", async () => {
    const replica = resource("prod", "aws:kms/replicaKey:ReplicaKey", "replica", { deletionWindowInDays: 7 });
    expect(await violations(policy, [replica])).toEqual([
      'KMS replica key "replica" has a 7-day deletion window; production needs 30 days.',
    ]);
  });

  it("requires Cloud KMS keys to rotate within 90 days and keep destruction scheduled", async () => {
    const gcpKey = (inputs: Record<string, unknown>) =>
      resource("prod", "gcp:kms/cryptoKey:CryptoKey", "secrets", inputs);
    expect(await violations(policy, [gcpKey({ rotationPeriod: "7776000s" })])).toEqual([]);
    expect(await violations(policy, [gcpKey({})])).toEqual([
      'Crypto key "secrets" has no rotationPeriod: set it to at most 7776000s.',
    ]);
    expect(
      await violations(policy, [gcpKey({ rotationPeriod: "31536000s", destroyScheduledDuration: "86400s" })]),
    ).toEqual([
      'Crypto key "secrets" rotates every 365 days; the limit is 90 days.',
      'Crypto key "secrets" is destroyed 1 days after being scheduled; production needs 30 days.',
    ]);
    expect(await violations(policy, [gcpKey({ purpose: "ASYMMETRIC_SIGN" })])).toEqual([]);
  });

  it("requires a rotate lifetime action on Key Vault keys", async () => {
    const azureKey = (rotationPolicy?: unknown) =>
      resource("prod", "azure-native:keyvault:Key", "fernet-wrap", {
        properties: { kty: "RSA-HSM", rotationPolicy },
      });
    const rotate = (after: string) => ({
      lifetimeActions: [{ action: { type: "rotate" }, trigger: { timeAfterCreate: after } }],
    });
    expect(await violations(policy, [azureKey(rotate("P90D"))])).toEqual([]);
    expect(await violations(policy, [azureKey()])).toEqual([
      'Key Vault key "fernet-wrap" has no rotationPolicy lifetime action of type "rotate".',
    ]);
    expect(await violations(policy, [azureKey(rotate("P1Y"))])).toEqual([
      'Key Vault key "fernet-wrap" rotates 366 days after creation; the limit is 90 days.',
    ]);
  });

  it("reads Key Vault rotations triggered before expiry off the policy's expiryTime", async () => {
    const azureKey = (expiryTime: string | undefined, timeBeforeExpiry: string) =>
      resource("prod", "azure-native:keyvault:Key", "fernet-wrap", {
        properties: {
          kty: "RSA-HSM",
          rotationPolicy: {
            ...(expiryTime ? { attributes: { expiryTime } } : {}),
            lifetimeActions: [{ action: { type: "Rotate" }, trigger: { timeBeforeExpiry } }],
          },
        },
      });
    expect(await violations(policy, [azureKey("P90D", "P30D")])).toEqual([]);
    expect(await violations(policy, [azureKey("P2Y", "P30D")])).toEqual([
      'Key Vault key "fernet-wrap" rotates 702 days after creation; the limit is 90 days.',
    ]);
    expect(await violations(policy, [azureKey(undefined, "P30D")])).toEqual([
      'Key Vault key "fernet-wrap" has no rotation interval: set trigger.timeAfterCreate (or timeBeforeExpiry with ' +
        "rotationPolicy.attributes.expiryTime) to rotate within 90 days.",
    ]);
  });
});
