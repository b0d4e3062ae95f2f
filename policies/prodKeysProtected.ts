import { ENVIRONMENT_CONFIG_SCHEMA } from "./lib/environment";
import { AirflowStackPolicy, perResource } from "./lib/policy";
import { typeChainOf } from "./lib/stack";
import { isRecord, knownOrUndefined } from "./lib/values";

const configSchema = { properties: { ...ENVIRONMENT_CONFIG_SCHEMA } };

/** Key material whose loss makes secrets unreadable. */
const KEY_TYPES: Record<string, string> = {
  "aws:kms/key:Key": "KMS key",
  "aws:kms/replicaKey:ReplicaKey": "KMS replica key",
  "gcp:kms/keyRing:KeyRing": "KMS key ring",
  "gcp:kms/cryptoKey:CryptoKey": "KMS crypto key",
  "azure-native:keyvault:Vault": "Key Vault",
  "azure-native:keyvault:Key": "Key Vault key",
  "azure-native:keyvault:ManagedHsm": "Managed HSM",
};

/** Where each store keeps a secret's name, to recognise the stored Fernet key (`…fernet_key`, `…fernet-key`). */
const STORE_NAME: Record<string, string> = {
  "aws:secretsmanager/secret:Secret": "name",
  "aws:ssm/parameter:Parameter": "name",
  "gcp:secretmanager/secret:Secret": "secretId",
  "gcp:secretmanager/regionalSecret:RegionalSecret": "secretId",
  "azure-native:keyvault:Secret": "secretName",
  "vault:kv/secretV2:SecretV2": "name",
  "vault:kv/secret:Secret": "path",
  "vault:generic/secret:Secret": "path",
};

const FERNET_NAME = /fernet[_-]key$/i;
const FERNET_COMPONENT = "airflow-secrets:fernet:FernetKey";

/** What the resource is, when it is key material or the Fernet key this policy protects. */
function protectedKind(type: string, urn: string, props: Record<string, unknown>): string | undefined {
  if (KEY_TYPES[type]) return KEY_TYPES[type];
  if (type === "random:index/randomBytes:RandomBytes" && typeChainOf(urn).includes(FERNET_COMPONENT)) {
    return "Fernet key generation";
  }
  const nameKey = STORE_NAME[type];
  if (nameKey) {
    const name = knownOrUndefined(() => props[nameKey]);
    return typeof name === "string" && FERNET_NAME.test(name) ? "stored Fernet key" : undefined;
  }
  if (type === "kubernetes:core/v1:Secret") {
    const holds = ["stringData", "data"].some((key) => {
      const data = knownOrUndefined(() => props[key]);
      return isRecord(data) && Object.keys(data).includes("AIRFLOW__CORE__FERNET_KEY");
    });
    return holds ? "Kubernetes Secret holding the Fernet key" : undefined;
  }
  return undefined;
}

/**
 * "Fernet key managed through KMS with deletion protection": in production the keys and the
 * Fernet key are `protect`ed, so a refactor or a mistaken `pulumi destroy` cannot delete them.
 * CrossGuard exposes `protect` (not `retainOnDelete`) to policies, so protect is what is required.
 */
export const prodKeysProtected: AirflowStackPolicy = {
  name: "prod-keys-protected",
  description:
    "In production, KMS keys, key rings, Key Vaults and the Fernet key (its generations and its stored copy) are protected resources.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Add `protect: true` (and `retainOnDelete: true`) to the resource options. The backends do this when `production` is on; for " +
    "your own keys pass the options yourself. Removing protection later is a deliberate two-step change: unprotect, then delete.",
  configSchema,
  resourceTypes: [
    ...Object.keys(KEY_TYPES),
    "random:index/randomBytes:RandomBytes",
    ...Object.keys(STORE_NAME),
    "kubernetes:core/v1:Secret",
  ],
  configExample: { productionStacks: ["live"] },
  validateStack: perResource((args, reportViolation) => {
    const kind = protectedKind(args.type, args.urn, args.props);
    if (!kind) return;
    if (!args.context.production) return;
    if (args.protect !== true) {
      reportViolation(`${kind} "${args.name}" is not protected: a delete would destroy it.`);
    }
  }),
};
