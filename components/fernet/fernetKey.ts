import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  FernetSettings,
  fernetKeyValue,
  toUrlSafeBase64,
  validateFernetSettings,
  validateOrThrow,
} from "../airflow";

export interface FernetKeyArgs extends FernetSettings {
  /**
   * Protect the generated keys from deletion (production): a lost Fernet key makes every
   * encrypted connection and variable in the metastore unreadable.
   */
  protect?: boolean;
}

/**
 * Airflow's Fernet key as generations of 32 random bytes kept in Pulumi state as secrets. The value
 * is stored by the environment's backend as config `core.fernet_key` (encrypted with its KMS key) and
 * read by Airflow through `AIRFLOW__CORE__FERNET_KEY_SECRET=fernet_key`.
 */
export class FernetKey extends pulumi.ComponentResource {
  /** `newest` or, during a rotation, `newest,previous`. Secret. */
  readonly value: pulumi.Output<string>;
  /** Generation names, oldest first. */
  readonly generations: string[];

  constructor(name: string, args: FernetKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrThrow("FernetKey", (problems) => validateFernetSettings(args, problems));
    super("airflow-secrets:fernet:FernetKey", name, {}, opts);
    this.generations = [...args.generations];
    const keys = args.generations.map(
      (generation) =>
        new random.RandomBytes(
          `${name}-${generation}`,
          { length: 32 },
          { parent: this, protect: args.protect, retainOnDelete: args.protect },
        ).base64,
    );
    this.value = pulumi.secret(
      pulumi
        .all(keys)
        .apply((encoded) => fernetKeyValue(encoded.map(toUrlSafeBase64), args.rotationInProgress === true)),
    );
    this.registerOutputs({ generations: this.generations });
  }
}
