import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PlannedSecret, Problems, storeDescription, validateOrThrow } from "../airflow";
import { AwsStoreArgs, idSlug, standardTags } from "./common";
import { secretResourcePolicy } from "./policies";
import {
  checkRecoveryWindow,
  checkRegion,
  checkReplicaRegions,
  checkRoleArnList,
  checkTags,
} from "./validation";

export interface SecretsManagerStoreArgs extends AwsStoreArgs {
  /** Regions to replicate every secret to, each with its own KMS key. */
  replicas?: Array<{ region: string; kmsKeyArn: pulumi.Input<string> }>;
  /** Days a deleted secret stays recoverable: 7–30, or 0 outside production. Default 30 in production, 7 elsewhere. */
  recoveryWindowInDays?: number;
  /** Roles that may read every value (Airflow's reader). */
  readerRoleArns: pulumi.Input<string>[];
  /**
   * Roles that run `pulumi up` / `pulumi refresh` for this stack. The AWS provider reads each
   * version back with GetSecretValue, so they must be allowed; every other principal is denied.
   */
  deployerRoleArns: string[];
  /** Per secret name: the readers instead of `readerRoleArns` (e.g. rotation function, master secret). */
  readersBySecretName?: Record<string, pulumi.Input<string>[]>;
  /**
   * Secrets a rotation function owns after the first deploy: later stack changes never overwrite
   * their value or move their stages back (that would restore a retired password).
   */
  rotatedSecretNames?: string[];
}

export interface StoredSecret {
  planned: PlannedSecret;
  secret: aws.secretsmanager.Secret;
  version: aws.secretsmanager.SecretVersion;
  /** The secret's ARN, available once its value is stored (use it to wire rotation). */
  arnWithValue: pulumi.Output<string>;
}

export const PRODUCTION_RECOVERY_WINDOW_DAYS = 30;
export const DEFAULT_RECOVERY_WINDOW_DAYS = 7;

export function validateSecretsManagerStoreArgs(args: SecretsManagerStoreArgs, problems: Problems): void {
  const production = args.production === true;
  checkRegion(args.region, "region", problems);
  checkReplicaRegions(
    args.replicas?.map((r) => r.region),
    args.region,
    "replicas",
    problems,
  );
  checkRecoveryWindow(args.recoveryWindowInDays, production, "recoveryWindowInDays", problems);
  checkRoleArnList(
    args.deployerRoleArns,
    "deployerRoleArns",
    problems,
    "is required: the roles that run pulumi up must be able to read back what they write",
  );
  checkTags(args.tags, "tags", problems);
  const names = new Set(args.secrets.map((s) => s.name));
  for (const [field, list] of [
    ["criticalSecretNames", args.criticalSecretNames],
    ["rotatedSecretNames", args.rotatedSecretNames],
    ["readersBySecretName", Object.keys(args.readersBySecretName ?? {})],
  ] as const) {
    for (const name of list ?? [])
      problems.check(names.has(name), `${field}.${name}`, "is not one of the planned secrets");
  }
}

/**
 * One Secrets Manager secret per planned Airflow secret, named exactly as Airflow looks it up:
 * encrypted with the environment's key, replicated where asked, tagged, with a resource policy (in
 * the secret itself) that lets only the named roles read the value. The policy only denies, so it can
 * never make a secret public.
 */
export class SecretsManagerStore extends pulumi.ComponentResource {
  /** By secret name. */
  readonly secrets: Record<string, StoredSecret> = {};
  /** Secret ARN by secret name. */
  readonly secretArns: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: SecretsManagerStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrThrow(`SecretsManagerStore ${name}`, (problems) =>
      validateSecretsManagerStoreArgs(args, problems),
    );
    super("airflow-secrets:aws:SecretsManagerStore", name, {}, opts);

    const production = args.production === true;
    const recoveryWindowInDays =
      args.recoveryWindowInDays ??
      (production ? PRODUCTION_RECOVERY_WINDOW_DAYS : DEFAULT_RECOVERY_WINDOW_DAYS);
    const tags = standardTags(args.environment, args.owner, args.tags);
    const critical = new Set(args.criticalSecretNames ?? []);
    const rotated = new Set(args.rotatedSecretNames ?? []);

    const replicas = (args.replicas ?? []).map((r) => ({ region: r.region, kmsKeyId: r.kmsKeyArn }));
    // Most secrets share one reader list: render that policy document once, not once per secret.
    const policies = new Map<pulumi.Input<string>[], pulumi.Output<string>>();
    const policyFor = (readers: pulumi.Input<string>[]) => {
      let policy = policies.get(readers);
      if (policy === undefined) {
        const principals = [...readers, ...args.deployerRoleArns];
        policy = pulumi.all(principals).apply((arns) => JSON.stringify(secretResourcePolicy(arns)));
        policies.set(readers, policy);
      }
      return policy;
    };
    for (const planned of args.secrets) {
      const child = `${name}-${planned.kind}-${idSlug(planned.id)}`;
      const keep = production && critical.has(planned.name);
      const secret = new aws.secretsmanager.Secret(
        child,
        {
          region: args.region,
          name: planned.name,
          description: storeDescription(planned, args.environment),
          kmsKeyId: args.kmsKeyArn,
          recoveryWindowInDays,
          replicas,
          forceOverwriteReplicaSecret: false,
          // The resource policy lives in the secret itself (PutResourcePolicy on create and update):
          // one resource per secret fewer than a separate SecretPolicy. See README, "Upgrading".
          policy: policyFor(args.readersBySecretName?.[planned.name] ?? args.readerRoleArns),
          tags: { ...tags, "airflow-kind": planned.kind },
        },
        { parent: this, protect: keep, retainOnDelete: keep },
      );
      const version = new aws.secretsmanager.SecretVersion(
        `${child}-value`,
        // The plan's value is already a secret Output; wrapping it again would only add an Output per secret.
        { region: args.region, secretId: secret.arn, secretString: planned.value },
        {
          parent: this,
          // A replaced version stays in Secrets Manager as AWSPREVIOUS: the Fernet key's old value
          // remains recoverable. Not `protect`: every key rotation replaces the version.
          retainOnDelete: keep,
          ignoreChanges: rotated.has(planned.name) ? ["secretString", "versionStages"] : undefined,
        },
      );
      this.secrets[planned.name] = { planned, secret, version, arnWithValue: version.arn };
      this.secretArns[planned.name] = secret.arn;
    }
    // The ARNs are the stack output `secretArns` (one copy in state).
    this.registerOutputs({});
  }
}
