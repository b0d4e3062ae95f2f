import { secretsEncryptedWithCmk as policy } from "../../policies/policies";
import { UNKNOWN_STRING, resource, violations, environment } from "./harness";

const CMK = "arn:aws:kms:eu-west-1:123456789012:key/mrk-28661efb32d26f634f1b8a5200021dff";
const awsSecret = (stack: string, inputs: Record<string, unknown>) =>
  resource(stack, "aws:secretsmanager/secret:Secret", "warehouse", {
    name: `airflow/${stack}/connections/warehouse`,
    ...inputs,
  });

describe("secrets-encrypted-with-cmk", () => {
  it("passes a production Secrets Manager secret and its replicas under customer-managed keys", async () => {
    const compliant = awsSecret("prod", {
      kmsKeyId: CMK,
      replicas: [{ region: "eu-central-1", kmsKeyId: CMK.replace("eu-west-1", "eu-central-1") }],
    });
    expect(await violations(policy, [compliant])).toEqual([]);
  });

  it("reports a production secret on the AWS-managed key, by omission or by alias", async () => {
    expect(await violations(policy, [awsSecret("prod", {})])).toEqual([
      'Secrets Manager secret "warehouse" uses the AWS-managed key: set kmsKeyId to a customer-managed KMS key.',
    ]);
    expect(
      await violations(policy, [awsSecret("prod", { kmsKeyId: "alias/aws/secretsmanager" })]),
    ).toHaveLength(1);
    expect(
      await violations(policy, [
        awsSecret("prod", { kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:alias/aws/secretsmanager" }),
      ]),
    ).toHaveLength(1);
  });

  it("reports a replica region that falls back to the AWS-managed key", async () => {
    const secret = awsSecret("prod", { kmsKeyId: CMK, replicas: [{ region: "eu-central-1" }] });
    expect(await violations(policy, [secret])).toEqual([
      'Secrets Manager secret "warehouse": replica in eu-central-1 has no customer-managed kmsKeyId.',
    ]);
  });

  it("accepts a key created in the same update (unknown during preview) and leaves non-production stacks alone", async () => {
    expect(await violations(policy, [awsSecret("prod", { kmsKeyId: UNKNOWN_STRING })])).toEqual([]);
    expect(await violations(policy, [awsSecret("dev", {})])).toEqual([]);
  });

  it("takes production from the environment's setting, never from the stack name", async () => {
    const live = environment("live", { environment: "eu", production: true });
    expect(await violations(policy, [live, awsSecret("live", {})])).toHaveLength(1);
    const notProd = environment("prod", { environment: "prod", production: false });
    expect(await violations(policy, [notProd, awsSecret("prod", {})])).toEqual([]);
    // A program of raw resources is production when the pack config names its stack.
    expect(await violations(policy, [awsSecret("live", {})], {}, { raw: true })).toEqual([]);
    expect(
      await violations(
        policy,
        [awsSecret("live", {})],
        { [policy.name]: { productionStacks: ["live"] } },
        { raw: true },
      ),
    ).toHaveLength(1);
  });

  it("checks SSM SecureString keyId but not plain String parameters", async () => {
    const parameter = (inputs: Record<string, unknown>) =>
      resource("prod", "aws:ssm/parameter:Parameter", "alert-email", {
        name: "/airflow/prod/variables/alert_email",
        ...inputs,
      });
    expect(await violations(policy, [parameter({ type: "SecureString" })])).toEqual([
      'SecureString parameter "alert-email" uses alias/aws/ssm: set keyId to a customer-managed KMS key.',
    ]);
    expect(await violations(policy, [parameter({ type: "SecureString", keyId: CMK })])).toEqual([]);
    expect(await violations(policy, [parameter({ type: "String" })])).toEqual([]);
  });

  it("requires customer-managed encryption on every GCP replica", async () => {
    const key = "projects/p/locations/europe-west1/keyRings/airflow-prod/cryptoKeys/secrets";
    const gcpSecret = (replication: unknown) =>
      resource("prod", "gcp:secretmanager/secret:Secret", "airflow-prod-connections-warehouse", {
        secretId: "airflow-prod-connections-warehouse",
        replication,
      });
    expect(
      await violations(policy, [
        gcpSecret({
          userManaged: {
            replicas: [
              { location: "europe-west1", customerManagedEncryption: { kmsKeyName: key } },
              {
                location: "europe-west4",
                customerManagedEncryption: { kmsKeyName: key.replace("west1", "west4") },
              },
            ],
          },
        }),
      ]),
    ).toEqual([]);
    expect(
      await violations(policy, [
        gcpSecret({
          userManaged: {
            replicas: [
              { location: "europe-west1", customerManagedEncryption: { kmsKeyName: key } },
              { location: "europe-west4" },
            ],
          },
        }),
      ]),
    ).toEqual([
      'Secret Manager secret "airflow-prod-connections-warehouse": replica 1 (europe-west4) has no customerManagedEncryption.kmsKeyName.',
    ]);
    expect(await violations(policy, [gcpSecret({ auto: {} })])).toEqual([
      'Secret Manager secret "airflow-prod-connections-warehouse" uses automatic replication with Google-managed encryption: use user-managed replication with customerManagedEncryption on every replica.',
    ]);
    expect(
      await violations(policy, [gcpSecret({ auto: { customerManagedEncryption: { kmsKeyName: key } } })]),
    ).toEqual([]);
  });
});
