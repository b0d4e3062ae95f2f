import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Problems, validateOrThrow } from "../airflow";
import { awsAccountContext, standardTags } from "./common";
import { AwsAccountContext, SecretStoreKind, secretsKeyPolicy } from "./policies";
import {
  checkKmsKeyArn,
  checkKmsKeyDeletionWindow,
  checkRegion,
  checkReplicaRegions,
  checkTags,
  isPlainObject,
} from "./validation";

export interface ExistingSecretsKey {
  /** ARN of a customer-managed key in the primary region (its key policy is yours to manage). */
  keyArn: string;
  /** Replica key ARN for each replica region (required for every entry of `replicaRegions`). */
  replicaKeyArns?: Record<string, string>;
}

export interface SecretsKmsKeyArgs {
  /** Environment name; the alias is `alias/airflow-{environment}-secrets`. */
  environment: string;
  /** Region of the key (and of the primary secrets). */
  region: string;
  /** Production protects the key from deletion by Pulumi. */
  production?: boolean;
  owner?: string;
  /** The store whose service may use the key (`kms:ViaService`). Default `secretsmanager`. */
  store?: SecretStoreKind;
  /** Airflow's reader roles: allowed to decrypt through the store, denied every direct decryption. */
  readerRoleArns?: pulumi.Input<string>[];
  /**
   * Regions where secrets are replicated. The key becomes a multi-Region key with a replica key in
   * each (a secret replica must be encrypted by a key in its own region).
   */
  replicaRegions?: string[];
  /** Make the key multi-Region even without replicas now (turning it on later replaces the key). */
  multiRegion?: boolean;
  /** Days KMS waits before deleting a scheduled key, 7–30. Default 30. */
  deletionWindowInDays?: number;
  /** Bring your own key instead of creating one. */
  existing?: ExistingSecretsKey;
  tags?: Record<string, string>;
  /** Account context; looked up through the provider when omitted. */
  account?: pulumi.Input<AwsAccountContext>;
}

export const DEFAULT_KEY_DELETION_WINDOW_DAYS = 30;

export function validateSecretsKmsKeyArgs(args: SecretsKmsKeyArgs, problems: Problems, path = ""): void {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  checkRegion(args.region, at("region"), problems);
  checkReplicaRegions(args.replicaRegions, args.region, at("replicaRegions"), problems);
  checkKmsKeyDeletionWindow(args.deletionWindowInDays, at("deletionWindowInDays"), problems);
  checkTags(args.tags, at("tags"), problems);
  if (args.existing !== undefined) {
    checkKmsKeyArn(args.existing.keyArn, args.region, at("existing.keyArn"), problems);
    const replicas = args.existing.replicaKeyArns ?? {};
    if (
      !problems.check(
        isPlainObject(replicas),
        at("existing.replicaKeyArns"),
        "must map each replica region to its replica key ARN",
      )
    )
      return;
    for (const region of args.replicaRegions ?? []) {
      if (
        problems.check(
          replicas[region] !== undefined,
          at(`existing.replicaKeyArns.${region}`),
          `is required: secrets replicated to ${region} need a key in ${region}`,
        )
      ) {
        checkKmsKeyArn(replicas[region], region, at(`existing.replicaKeyArns.${region}`), problems);
      }
    }
    for (const region of Object.keys(replicas)) {
      problems.check(
        (args.replicaRegions ?? []).includes(region),
        at(`existing.replicaKeyArns.${region}`),
        `${region} is not in replicaRegions`,
      );
    }
  }
}

/**
 * The environment's customer-managed KMS key: symmetric, automatic yearly rotation, 30-day deletion
 * window, an explicit key policy (account admins manage it; use only through the secret store; the
 * Airflow reader decrypts through the store and never directly) and `alias/airflow-{env}-secrets`.
 * With replica regions it is a multi-Region key with a replica (same policy) in each region.
 */
export class SecretsKmsKey extends pulumi.ComponentResource {
  /** Key ARN in the primary region. */
  readonly keyArn: pulumi.Output<string>;
  /** Replica key ARN by region. */
  readonly replicaKeyArns: Record<string, pulumi.Output<string>>;
  /** Every key ARN, primary first. */
  readonly allKeyArns: pulumi.Output<string[]>;
  readonly key?: aws.kms.Key;
  readonly alias?: aws.kms.Alias;
  readonly replicas: aws.kms.ReplicaKey[] = [];

  constructor(name: string, args: SecretsKmsKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrThrow(`SecretsKmsKey ${name}`, (problems) => validateSecretsKmsKeyArgs(args, problems));
    super("airflow-secrets:aws:SecretsKmsKey", name, {}, opts);

    const replicaRegions = args.replicaRegions ?? [];
    this.replicaKeyArns = {};
    if (args.existing !== undefined) {
      this.keyArn = pulumi.output(args.existing.keyArn);
      for (const region of replicaRegions)
        this.replicaKeyArns[region] = pulumi.output(args.existing.replicaKeyArns![region]);
    } else {
      const production = args.production === true;
      const store = args.store ?? "secretsmanager";
      const account = args.account ?? awsAccountContext({ parent: this });
      const tags = standardTags(args.environment, args.owner, args.tags);
      const policy = pulumi.all([account, pulumi.all(args.readerRoleArns ?? [])]).apply(([acct, readers]) =>
        JSON.stringify(
          secretsKeyPolicy({
            account: acct,
            store,
            regions: [args.region, ...replicaRegions],
            readerRoleArns: readers,
          }),
        ),
      );
      const deletionWindowInDays = args.deletionWindowInDays ?? DEFAULT_KEY_DELETION_WINDOW_DAYS;
      const description = `Airflow ${args.environment} secrets (${store === "ssm" ? "SSM Parameter Store" : "Secrets Manager"})`;
      const protection = { protect: production, retainOnDelete: production };
      this.key = new aws.kms.Key(
        `${name}-key`,
        {
          region: args.region,
          description,
          keyUsage: "ENCRYPT_DECRYPT",
          customerMasterKeySpec: "SYMMETRIC_DEFAULT",
          enableKeyRotation: true,
          deletionWindowInDays,
          multiRegion: replicaRegions.length > 0 || args.multiRegion === true,
          policy,
          tags,
        },
        { parent: this, ...protection },
      );
      const aliasName = `alias/airflow-${args.environment}-secrets`;
      this.alias = new aws.kms.Alias(
        `${name}-alias`,
        { region: args.region, name: aliasName, targetKeyId: this.key.keyId },
        { parent: this },
      );
      this.keyArn = this.key.arn;
      for (const region of replicaRegions) {
        const replica = new aws.kms.ReplicaKey(
          `${name}-replica-${region}`,
          { region, primaryKeyArn: this.key.arn, description, deletionWindowInDays, policy, tags },
          { parent: this, ...protection },
        );
        new aws.kms.Alias(
          `${name}-alias-${region}`,
          { region, name: aliasName, targetKeyId: replica.keyId },
          { parent: this },
        );
        this.replicas.push(replica);
        this.replicaKeyArns[region] = replica.arn;
      }
    }
    this.allKeyArns = pulumi.all([this.keyArn, ...replicaRegions.map((r) => this.replicaKeyArns[r])]);
    this.registerOutputs({ keyArn: this.keyArn, replicaKeyArns: this.replicaKeyArns });
  }
}
