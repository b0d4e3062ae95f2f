import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../airflow";
import { DEFAULT_KMS_ROTATION_PERIOD, checkKmsRotationPeriod } from "./settings";

export const KMS_ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

export interface SecretManagerKeysArgs {
  /** Project that holds the key rings this component creates. */
  project: string;
  /** Locations that need a key: one per secret replica location (a replica can only use a key in its own location). */
  locations: string[];
  /** Rotation period of the keys created here, `"<seconds>s"`: more than 1 day, at most 90 days. Default 90 days. */
  rotationPeriod?: string;
  /** Key ring created per location (key rings are permanent in GCP: a name can never be reused). */
  keyRingName: string;
  /** Crypto key created per location. */
  keyName: string;
  /** Bring your own, by location: nothing is created where a key is given, only the key where a ring is. */
  existing?: {
    /** Crypto keys, `projects/P/locations/L/keyRings/R/cryptoKeys/K`. */
    keys?: Record<string, string>;
    /** Key rings, `projects/P/locations/L/keyRings/R`; the crypto key is created inside. */
    keyRings?: Record<string, string>;
  };
  /**
   * The member that encrypts with the keys: Secret Manager's service agent
   * (`serviceAccount:service-{number}@gcp-sa-secretmanager.iam.gserviceaccount.com`).
   */
  serviceAgentMember: pulumi.Input<string>;
  /** Labels on the crypto keys created here. */
  labels?: Record<string, string>;
  /**
   * Production: `protect` and `retainOnDelete` on key rings and keys, so neither `pulumi destroy` nor a
   * refactor can schedule destruction of the key that decrypts every secret (and the Fernet key).
   */
  protect?: boolean;
}

function validate(args: SecretManagerKeysArgs): void {
  const problems = new Problems();
  problems.check(
    Array.isArray(args.locations) && args.locations.length > 0,
    "locations",
    "must list at least one location",
  );
  checkKmsRotationPeriod(problems, "rotationPeriod", args.rotationPeriod ?? DEFAULT_KMS_ROTATION_PERIOD);
  for (const [label, map, pattern] of [
    [
      "existing.keys",
      args.existing?.keys ?? {},
      /^projects\/[^/]+\/locations\/([^/]+)\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/,
    ],
    [
      "existing.keyRings",
      args.existing?.keyRings ?? {},
      /^projects\/[^/]+\/locations\/([^/]+)\/keyRings\/[^/]+$/,
    ],
  ] as const) {
    for (const [location, id] of Object.entries(map)) {
      const match = pattern.exec(id);
      problems.check(
        match !== null && match[1] === location,
        `${label}.${location}`,
        `must be a full resource name in location "${location}" (got "${id}")`,
      );
    }
  }
  problems.throwIfAny("SecretManagerKeys");
}

/**
 * One customer-managed KMS key per secret replica location, created (key ring + crypto key with a
 * rotation period) or brought, and Secret Manager's service agent allowed to encrypt and decrypt
 * with each. Secrets must depend on `grants`: Secret Manager checks the key when the secret is created.
 */
export class SecretManagerKeys extends pulumi.ComponentResource {
  /** Full crypto key name by location, for `customerManagedEncryption.kmsKeyName`. */
  readonly keys: Record<string, pulumi.Output<string>>;
  /** The service agent's encrypter/decrypter grants, one per key. */
  readonly grants: gcp.kms.CryptoKeyIAMMember[];
  readonly cryptoKeys: gcp.kms.CryptoKey[];

  constructor(name: string, args: SecretManagerKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    validate(args);
    super("airflow-secrets:gcp:SecretManagerKeys", name, {}, opts);
    const protection = { protect: args.protect === true, retainOnDelete: args.protect === true };
    this.keys = {};
    this.grants = [];
    this.cryptoKeys = [];
    for (const location of args.locations) {
      const existingKey = args.existing?.keys?.[location];
      let keyName: pulumi.Output<string>;
      if (existingKey !== undefined) {
        keyName = pulumi.output(existingKey);
      } else {
        const existingRing = args.existing?.keyRings?.[location];
        const ringName =
          existingRing !== undefined
            ? pulumi.output(existingRing)
            : new gcp.kms.KeyRing(
                `${name}-${location}-ring`,
                { project: args.project, location, name: args.keyRingName },
                { parent: this, ...protection },
              ).name.apply((ring) => `projects/${args.project}/locations/${location}/keyRings/${ring}`);
        const key = new gcp.kms.CryptoKey(
          `${name}-${location}-key`,
          {
            keyRing: ringName,
            name: args.keyName,
            purpose: "ENCRYPT_DECRYPT",
            rotationPeriod: args.rotationPeriod ?? DEFAULT_KMS_ROTATION_PERIOD,
            labels: args.labels,
          },
          { parent: this, ...protection },
        );
        this.cryptoKeys.push(key);
        keyName = pulumi.all([ringName, key.name]).apply(([ring, k]) => `${ring}/cryptoKeys/${k}`);
      }
      this.keys[location] = keyName;
      this.grants.push(
        new gcp.kms.CryptoKeyIAMMember(
          `${name}-${location}-secretmanager-agent`,
          { cryptoKeyId: keyName, role: KMS_ENCRYPTER_DECRYPTER, member: args.serviceAgentMember },
          { parent: this },
        ),
      );
    }
    this.registerOutputs({ keys: this.keys });
  }
}
