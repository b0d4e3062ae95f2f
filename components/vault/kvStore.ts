import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { SecretsPlan } from "../airflow";
import { standardLabels } from "../core/labels";
import { nameFragment } from "./paths";

/** Where one environment's secrets sit under the mount (Airflow's `*_path` kwargs). */
export interface VaultKvLayout {
  /** `connections_path`; default `{env}/connections`. */
  connectionsPath?: string;
  /** `variables_path`; default `{env}/variables`. */
  variablesPath?: string;
  /** `config_path`; default `{env}/config`. */
  configPath?: string;
}

export interface VaultKvStoreArgs {
  /** Environment name; every path starts with it. */
  environment: string;
  /** The one plan of what is stored and where (its layout's `mountPoint` is the mount). */
  plan: SecretsPlan;
  /**
   * Bring your own mount (owned by another stack): nothing is mounted or tuned, secrets are written
   * into it. Exactly one stack per Vault cluster should own a mount.
   */
  existing?: { mount: string };
  /**
   * Versions kept per secret (`max_versions`); default 10 in production, 5 elsewhere: enough to
   * roll back a bad change and to see what was live during an incident.
   */
  maxVersions?: number;
  /**
   * Seal-wrap stored values with Vault's seal (HSM or cloud KMS) on top of the barrier encryption;
   * Vault Enterprise only. Default false.
   */
  sealWrap?: boolean;
  /** Production: mount protected, secrets soft-deleted on removal, config secrets protected and retained. */
  production?: boolean;
  /** Vault Enterprise namespace for every resource. */
  namespace?: string;
  /** Team that owns the secrets, written to each secret's custom metadata. */
  owner?: string;
}

export const DEFAULT_KV_MOUNT = "airflow";
export const DEFAULT_MAX_VERSIONS = { production: 10, other: 5 } as const;

/**
 * One environment's Airflow secrets in a KV v2 mount, exactly where `VaultBackend` reads them:
 * `{mount}/data/{connections_path}/{conn_id}` holds the connection's fields (or `conn_uri`),
 * variables and config hold `{"value": …}`. The mount is created and tuned unless it already exists.
 * Builds exactly what `args.plan` says; the backend's resolve has checked everything before.
 */
export class VaultKvStore extends pulumi.ComponentResource {
  readonly plan: SecretsPlan;
  /** The mount path (resolves after the mount exists when this component creates it). */
  readonly mountPath: pulumi.Output<string>;
  readonly mount?: vault.Mount;
  readonly engineConfig?: vault.kv.SecretBackendV2;
  readonly secrets: vault.kv.SecretV2[];
  /** Full API paths Airflow reads (`{mount}/data/{name}`), sorted. Not secret. */
  readonly secretPaths: string[];

  constructor(name: string, args: VaultKvStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    const plan = args.plan;
    super("airflow-secrets:vault:VaultKvStore", name, {}, opts);
    this.plan = plan;
    const production = args.production === true;
    const mountPath = args.existing?.mount ?? plan.layout.mountPoint ?? DEFAULT_KV_MOUNT;
    const resourceOpts = { parent: this };

    if (args.existing !== undefined) {
      this.mountPath = pulumi.output(mountPath);
    } else {
      // Unmounting deletes every secret in it: production mounts cannot be removed by a stray diff.
      this.mount = new vault.Mount(
        `${name}-mount`,
        {
          path: mountPath,
          type: "kv",
          options: { version: "2" },
          sealWrap: args.sealWrap,
          description: `Airflow connections, variables and config (KV v2), managed by airflow-secrets`,
          namespace: args.namespace,
        },
        { ...resourceOpts, protect: production, retainOnDelete: production },
      );
      this.engineConfig = new vault.kv.SecretBackendV2(
        `${name}-engine`,
        {
          mount: this.mount.path,
          maxVersions:
            args.maxVersions ?? (production ? DEFAULT_MAX_VERSIONS.production : DEFAULT_MAX_VERSIONS.other),
          // The provider cannot send a correct `cas` on update (terraform-provider-vault #1727,
          // #2472), so check-and-set would fail every change; the reviewed stack is the single writer.
          casRequired: false,
          // A non-zero value also expires the *current* version, and Airflow would lose the connection.
          deleteVersionAfter: 0,
          namespace: args.namespace,
        },
        resourceOpts,
      );
      this.mountPath = this.engineConfig.mount;
    }

    this.secrets = plan.secrets.map(
      (secret) =>
        new vault.kv.SecretV2(
          `${name}-${secret.kind}-${nameFragment(secret.id)}`,
          {
            mount: this.mountPath,
            name: secret.name,
            dataJson: secret.value,
            // The CI writer may write but never read secret data, so the provider must not read it back.
            disableRead: true,
            // Production keeps removed secrets as soft-deleted versions (undelete restores them).
            deleteAllVersions: !production,
            customMetadata: {
              data: standardLabels(args.environment, args.owner, { "airflow-kind": secret.kind }),
            },
            namespace: args.namespace,
          },
          {
            ...resourceOpts,
            // Losing the Fernet key (a config secret) makes the metastore's encrypted fields unreadable.
            protect: production && secret.kind === "config",
            retainOnDelete: production && secret.kind === "config",
          },
        ),
    );
    this.secretPaths = plan.secrets.map((s) => `${mountPath}/data/${s.name}`).sort();
    // The paths are the stack output `vaultSecretPaths` (one copy in state).
    this.registerOutputs({ mountPath: this.mountPath });
  }
}
