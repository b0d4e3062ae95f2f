import { ENVIRONMENT_CONFIG_SCHEMA } from "./lib/environment";
import { AirflowStackPolicy, perResource } from "./lib/policy";
import { UNKNOWN, asArray, isRecord, known } from "./lib/values";

const configSchema = { properties: { ...ENVIRONMENT_CONFIG_SCHEMA } };

/** AWS-managed default keys (`alias/aws/secretsmanager`, `alias/aws/ssm`), by alias or alias ARN. */
const AWS_MANAGED_KEY = /^(arn:aws[a-z-]*:kms:[^:]*:[^:]*:)?alias\/aws\//;

/** A key reference that names a customer-managed key. Unknown means it comes from a key created in this update. */
function customerManaged(read: () => unknown): boolean {
  const value = known(read);
  if (value === UNKNOWN) return true;
  return typeof value === "string" && value.trim() !== "" && !AWS_MANAGED_KEY.test(value.trim());
}

/**
 * Secrets must be encrypted with a key the team controls (rotation, key policy, deletion window,
 * audit of every decrypt), not the provider's default key.
 *
 * - AWS Secrets Manager: `kmsKeyId` set to a customer managed key. SSM SecureString: `keyId`.
 * - GCP Secret Manager: every replica has `customerManagedEncryption` (user-managed replication),
 *   or automatic replication with one global `customerManagedEncryption`.
 * - Azure Key Vault has no per-secret key: secrets are always encrypted by the vault's
 *   service-managed, HSM-backed keys. There "CMK" means the vault itself is the key boundary, and
 *   what this pack checks instead is purge protection, diagnostics and protection of the vault.
 * - Vault encrypts everything under its barrier key (seal config lives outside Pulumi).
 */
export const secretsEncryptedWithCmk: AirflowStackPolicy = {
  name: "secrets-encrypted-with-cmk",
  description:
    "Production secrets are encrypted with a customer-managed KMS key (AWS Secrets Manager / SSM SecureString, GCP Secret Manager replicas).",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Create a KMS key for the environment (aws.kms.Key / gcp.kms.CryptoKey, rotation on, protected) and pass it: " +
    "Secret.kmsKeyId or Parameter.keyId on AWS; on GCP use replication.userManaged.replicas[*].customerManagedEncryption.kmsKeyName " +
    "(or replication.auto.customerManagedEncryption) and grant the Secret Manager service agent roles/cloudkms.cryptoKeyEncrypterDecrypter. " +
    "The aws backend does this when its `kms` setting is left at the production default.",
  configSchema,
  resourceTypes: [
    "aws:secretsmanager/secret:Secret",
    "aws:ssm/parameter:Parameter",
    "gcp:secretmanager/secret:Secret",
    "gcp:secretmanager/regionalSecret:RegionalSecret",
  ],
  configExample: { productionStacks: ["live"] },
  validateStack: perResource((args, reportViolation) => {
    if (!args.context.production) return;
    const props = args.props;
    switch (args.type) {
      case "aws:secretsmanager/secret:Secret":
        if (!customerManaged(() => props.kmsKeyId)) {
          reportViolation(
            `Secrets Manager secret "${args.name}" uses the AWS-managed key: set kmsKeyId to a customer-managed KMS key.`,
          );
        }
        checkAwsReplicas(
          args.name,
          known(() => asArray(props.replicas as unknown[])),
          reportViolation,
        );
        return;
      case "aws:ssm/parameter:Parameter":
        if (known(() => props.type) === "SecureString" && !customerManaged(() => props.keyId)) {
          reportViolation(
            `SecureString parameter "${args.name}" uses alias/aws/ssm: set keyId to a customer-managed KMS key.`,
          );
        }
        return;
      case "gcp:secretmanager/secret:Secret":
        checkGcpReplication(
          args.name,
          known(() => props.replication),
          reportViolation,
        );
        return;
      case "gcp:secretmanager/regionalSecret:RegionalSecret":
        if (!customerManaged(() => props.customerManagedEncryption?.kmsKeyName)) {
          reportViolation(`Regional secret "${args.name}" has no customerManagedEncryption.kmsKeyName.`);
        }
        return;
    }
  }),
};

/** Each replica region encrypts with its own key: a replica without kmsKeyId falls back to aws/secretsmanager there. */
function checkAwsReplicas(name: string, replicas: unknown, reportViolation: (message: string) => void): void {
  if (!Array.isArray(replicas)) return;
  replicas.forEach((replica, i) => {
    const region = isRecord(replica) ? known(() => replica.region) : undefined;
    if (!isRecord(replica) || !customerManaged(() => replica.kmsKeyId)) {
      reportViolation(
        `Secrets Manager secret "${name}": replica in ${typeof region === "string" ? region : `#${i}`} has no customer-managed kmsKeyId.`,
      );
    }
  });
}

function checkGcpReplication(
  name: string,
  replication: unknown,
  reportViolation: (message: string) => void,
): void {
  if (replication === UNKNOWN) return;
  if (!isRecord(replication)) {
    reportViolation(
      `Secret Manager secret "${name}" has no replication policy with customer-managed encryption.`,
    );
    return;
  }
  const auto = known(() => replication.auto);
  if (isRecord(auto)) {
    if (
      !customerManaged(
        () => (auto.customerManagedEncryption as Record<string, unknown> | undefined)?.kmsKeyName,
      )
    ) {
      reportViolation(
        `Secret Manager secret "${name}" uses automatic replication with Google-managed encryption: ` +
          "use user-managed replication with customerManagedEncryption on every replica.",
      );
    }
    return;
  }
  const userManaged = known(() => replication.userManaged);
  if (userManaged === UNKNOWN) return;
  const replicas = isRecord(userManaged) ? known(() => asArray(userManaged.replicas as unknown[])) : [];
  if (replicas === UNKNOWN) return;
  if (replicas.length === 0) {
    reportViolation(`Secret Manager secret "${name}" has no replicas with customer-managed encryption.`);
    return;
  }
  replicas.forEach((replica, i) => {
    const location = isRecord(replica) ? known(() => replica.location) : undefined;
    const encryption = isRecord(replica) ? known(() => replica.customerManagedEncryption) : undefined;
    if (encryption === UNKNOWN) return;
    if (!isRecord(encryption) || !customerManaged(() => encryption.kmsKeyName)) {
      reportViolation(
        `Secret Manager secret "${name}": replica ${i} (${typeof location === "string" ? location : "unknown location"}) ` +
          "has no customerManagedEncryption.kmsKeyName.",
      );
    }
  });
}
