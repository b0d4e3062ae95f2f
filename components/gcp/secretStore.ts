import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PlannedSecret, Problems } from "../airflow";
import { MIN_SECRET_ROTATION_SECONDS, durationSeconds } from "./settings";

/** A rotated connection's Secret Manager schedule. */
export interface SecretRotationSchedule {
  /** `"<seconds>s"`, at least one hour. */
  rotationPeriod: string;
  /** RFC 3339; Secret Manager advances it after each rotation, so later changes are ignored. */
  nextRotationTime: string;
}

export interface SecretManagerStoreArgs {
  /** Project holding the secrets. */
  project: string;
  /** The planned secrets (names and encoded values from the Airflow contract). */
  secrets: PlannedSecret[];
  /** KMS key by replica location; every secret gets one user-managed replica per entry, encrypted with it. */
  keys: Record<string, pulumi.Input<string>>;
  /** Labels on every secret (env, owner, managed-by are expected here). */
  labels: Record<string, string>;
  /** Delayed destruction of replaced versions, `"<seconds>s"`: a bad `pulumi up` can be undone within it. */
  versionDestroyTtl?: string;
  /**
   * Production: config secrets (`core.fernet_key` and the other keys) get `protect`, `retainOnDelete`
   * and Secret Manager's deletion protection, and their replaced versions are kept.
   */
  protectConfig?: boolean;
  /** Rotated connections: the topic Secret Manager publishes SECRET_ROTATE to, and schedules by conn_id. */
  rotation?: {
    /** Full topic name, `projects/P/topics/T`. */
    topic: pulumi.Input<string>;
    schedules: Record<string, SecretRotationSchedule>;
  };
  /** What must exist before a secret is created: the KMS grants (and the topic's publisher grant). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A stored secret and its Pulumi-written version. */
export interface StoredSecret {
  planned: PlannedSecret;
  secret: gcp.secretmanager.Secret;
  version: gcp.secretmanager.SecretVersion;
  rotated: boolean;
}

function validate(args: SecretManagerStoreArgs): void {
  const problems = new Problems();
  problems.check(
    Object.keys(args.keys ?? {}).length > 0,
    "keys",
    "must give a KMS key for at least one location: every replica is customer-managed",
  );
  for (const [connId, schedule] of Object.entries(args.rotation?.schedules ?? {})) {
    const path = `rotation.schedules.${connId}`;
    problems.check(
      args.secrets.some((s) => s.kind === "connection" && s.id === connId),
      path,
      `"${connId}" is not a planned connection`,
    );
    const seconds = durationSeconds(schedule.rotationPeriod);
    problems.check(
      seconds !== undefined && seconds >= MIN_SECRET_ROTATION_SECONDS,
      `${path}.rotationPeriod`,
      `must be at least 3600s (got ${JSON.stringify(schedule.rotationPeriod)})`,
    );
    problems.check(
      !Number.isNaN(Date.parse(schedule.nextRotationTime)),
      `${path}.nextRotationTime`,
      `must be an RFC 3339 time (got ${JSON.stringify(schedule.nextRotationTime)})`,
    );
  }
  for (const secret of args.secrets) {
    problems.check(
      /^[A-Za-z0-9_-]{1,255}$/.test(secret.name),
      `secrets[${secret.name}]`,
      "Secret Manager ids are 1-255 letters, digits, _ or -",
    );
  }
  problems.throwIfAny("SecretManagerStore");
}

/**
 * One Secret Manager secret per planned secret, with user-managed replication where every replica is
 * encrypted with its location's customer-managed key, and one version holding the planned value.
 * Rotated connections carry Secret Manager's rotation schedule and publish SECRET_ROTATE to the topic.
 */
export class SecretManagerStore extends pulumi.ComponentResource {
  /** By storage name (the secret id Airflow looks up). */
  readonly stored: Record<string, StoredSecret>;
  /** Full secret names (`projects/N/secrets/ID`), by storage name. */
  readonly secretNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: SecretManagerStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    validate(args);
    super("airflow-secrets:gcp:SecretManagerStore", name, {}, opts);
    const replicas = Object.entries(args.keys).map(([location, kmsKeyName]) => ({
      location,
      customerManagedEncryption: { kmsKeyName },
    }));
    this.stored = {};
    this.secretNames = {};
    for (const planned of args.secrets) {
      const schedule = planned.kind === "connection" ? args.rotation?.schedules[planned.id] : undefined;
      const protectedSecret = args.protectConfig === true && planned.kind === "config";
      const annotations: Record<string, string> = { "airflow-kind": planned.kind, "airflow-id": planned.id };
      if (schedule && planned.connection?.rotation)
        annotations["airflow-rotation-strategy"] = planned.connection.rotation.strategy;
      const secret = new gcp.secretmanager.Secret(
        `${name}-${planned.name}`,
        {
          project: args.project,
          secretId: planned.name,
          replication: { userManaged: { replicas } },
          labels: { ...args.labels, "airflow-kind": planned.kind },
          annotations,
          versionDestroyTtl: args.versionDestroyTtl,
          deletionProtection: protectedSecret ? true : undefined,
          ...(schedule
            ? {
                topics: [{ name: args.rotation!.topic }],
                rotation: {
                  rotationPeriod: schedule.rotationPeriod,
                  nextRotationTime: schedule.nextRotationTime,
                },
              }
            : {}),
        },
        {
          parent: this,
          dependsOn: args.dependsOn,
          protect: protectedSecret,
          retainOnDelete: protectedSecret,
          // Secret Manager moves the next rotation time forward after every rotation.
          ignoreChanges: schedule ? ["rotation.nextRotationTime"] : undefined,
        },
      );
      const version = new gcp.secretmanager.SecretVersion(
        `${name}-${planned.name}-value`,
        // The plan's value is already a secret Output (`PlannedSecret.value`).
        { secret: secret.id, secretData: planned.value },
        {
          parent: this,
          // A replaced config version (the previous Fernet key) is left in Secret Manager, not destroyed,
          // so values encrypted with it stay recoverable.
          retainOnDelete: protectedSecret,
          // Once the rotator has added versions, the stack's initial password is stale: writing it again
          // would lock Airflow out. The rotator carries every other field over from the latest version.
          ignoreChanges: schedule ? ["secretData"] : undefined,
        },
      );
      this.stored[planned.name] = { planned, secret, version, rotated: schedule !== undefined };
      this.secretNames[planned.name] = secret.name;
    }
    // The names are the stack output `secretIds` (one copy in state).
    this.registerOutputs({});
  }
}
