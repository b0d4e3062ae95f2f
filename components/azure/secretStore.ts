import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import { Problems, SecretsDeclarations, SecretsPlan } from "../airflow";
import type { RotationStrategy } from "../rotation/strategy";

/** Event Grid's StringIn filter takes at most 25 values: one subscription covers that many secrets. */
export const MAX_ROTATED_SECRETS = 25;
/** Key Vault takes at most 15 tags on a secret (a vault or other resource takes 50). */
export const MAX_SECRET_TAGS = 15;
/** Tags the store adds to a secret beside the caller's: `airflow-kind`, `airflow-id`, `rotation`. */
export const STORE_SECRET_TAGS = 3;

/** The caller's tags must leave room for the store's own within Key Vault's 15 per secret. */
export function checkSecretTagCount(
  tags: Record<string, string> | undefined,
  path: string,
  problems: Problems,
): void {
  const count = Object.keys(tags ?? {}).length;
  problems.check(
    count + STORE_SECRET_TAGS <= MAX_SECRET_TAGS,
    path,
    () =>
      `every secret carries these tags plus ${STORE_SECRET_TAGS} of its own, and Key Vault takes at most ${MAX_SECRET_TAGS} per secret: at most ${MAX_SECRET_TAGS - STORE_SECRET_TAGS} here, the defaults included (got ${count}: ${Object.keys(tags ?? {}).join(", ")})`,
  );
}

export interface KeyVaultSecretStoreArgs {
  /**
   * What to store, and under which names: the one plan of the declarations (`resolved.plan`, or
   * `planSecrets({ backend: "azure-key-vault", ..., extraKwargs: { vault_url } })` when composing).
   */
  plan: SecretsPlan;
  /** The vault: name (an Output of the vault, so secrets wait for it) and group. */
  vault: { name: pulumi.Input<string>; resourceGroupName: string };
  /**
   * Expiry stamps in epoch seconds, decided once from the clock: non-rotated secrets (`staticExpiry`)
   * and the first stamp of a rotated one (`initialRotatedExpiry`).
   */
  expires: { secrets: number; rotatedSecrets: number };
  /** Production: the stored Fernet key is protected and retained on delete. */
  production?: boolean;
  /**
   * What rotated secrets wait for: the Event Grid subscription, because Key Vault only announces the
   * expiry of versions created after a subscription exists.
   */
  rotatedSecretsDependOn?: pulumi.Input<pulumi.Resource>[];
  tags?: Record<string, string>;
}

/**
 * What this store adds to the contract's rules: Event Grid's limit on rotated secrets per vault.
 * Judged from the declarations (not the plan) so a run that breaks a contract rule still reports it
 * too; malformed declarations are the contract's to report and are skipped here.
 */
export function checkKeyVaultStore(declarations: SecretsDeclarations, problems: Problems): void {
  const list = <T>(items: T[] | undefined): T[] => (Array.isArray(items) ? items : []);
  const rotated = list(declarations.connections).filter(
    (c) => typeof c?.conn_id === "string" && c.rotation !== undefined && c.rotation !== null,
  );
  problems.check(
    rotated.length <= MAX_ROTATED_SECRETS,
    "connections",
    `at most ${MAX_ROTATED_SECRETS} connections can rotate per vault (Event Grid's StringIn filter limit); got ${rotated.length}`,
  );
}

/** What the rotator needs to know about one rotated connection. */
export interface RotatedSecretNames {
  connId: string;
  /** The stored name Airflow reads. */
  name: string;
  /** The journal blob in the rotator's `rotation-journals` container (`journalBlobName`). */
  journalName: string;
  masterName?: string;
  strategy: RotationStrategy;
  everyDays: number;
}

/**
 * A rotated secret's journal blob: the secret's name lower-cased (Key Vault names are
 * case-insensitive, blob names are not), `.json`.
 */
export function journalBlobName(secretName: string): string {
  return `${secretName.toLowerCase()}.json`;
}

/** The names of rotated secrets and their journals and masters, as the plan names them. */
export function rotatedSecretNames(plan: SecretsPlan): RotatedSecretNames[] {
  const nameOf = (connId: string) => plan.profile.storageName(plan.layout, "connection", connId);
  return plan.secrets.flatMap((secret) => {
    const rotation = secret.kind === "connection" ? secret.connection?.rotation : undefined;
    if (rotation === undefined) return [];
    return [
      {
        connId: secret.id,
        name: secret.name,
        journalName: journalBlobName(secret.name),
        masterName: rotation.masterConnId !== undefined ? nameOf(rotation.masterConnId) : undefined,
        strategy: rotation.strategy,
        everyDays: rotation.everyDays,
      },
    ];
  });
}

/**
 * Every planned secret as one `keyvault.Secret`: name and value exactly as the contract planned
 * them (value secret), a content type, an expiry that is stable across runs, tags. Rotated secrets,
 * after creation, belong to the rotator: their value and expiry are ignored by later updates so
 * `pulumi up` never writes back a stale password (the rotator's journals are not in this vault).
 */
export class KeyVaultSecretStore extends pulumi.ComponentResource {
  readonly plan: SecretsPlan;
  /** Resources by stored name. */
  readonly secrets: Record<string, keyvault.Secret>;
  readonly rotated: RotatedSecretNames[];

  constructor(name: string, args: KeyVaultSecretStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:azure:KeyVaultSecretStore", name, {}, opts);
    const plan = args.plan;
    this.plan = plan;
    this.rotated = rotatedSecretNames(plan);
    const rotatedNames = new Set(this.rotated.map((r) => r.name));

    const expires = args.expires.secrets;
    const rotatedExpires = args.expires.rotatedSecrets;
    const json = plan.airflowConfig.connectionFormat === "json";
    this.secrets = {};
    for (const secret of plan.secrets) {
      const rotated = rotatedNames.has(secret.name);
      const fernet = secret.kind === "config" && secret.id === "fernet_key";
      this.secrets[secret.name] = new keyvault.Secret(
        `${name}-${secret.name}`,
        {
          vaultName: args.vault.name,
          resourceGroupName: args.vault.resourceGroupName,
          secretName: secret.name,
          properties: {
            value: secret.value,
            contentType: secret.kind === "connection" && json ? "application/json" : "text/plain",
            attributes: { enabled: true, expires: rotated ? rotatedExpires : expires },
          },
          tags: {
            ...(args.tags ?? {}),
            "airflow-kind": secret.kind,
            "airflow-id": secret.id,
            ...(rotated
              ? {
                  rotation: `${secret.connection!.rotation!.strategy}/${secret.connection!.rotation!.everyDays}d`,
                }
              : {}),
          },
        },
        {
          parent: this,
          // A lost Fernet key makes every encrypted connection in the metastore unreadable.
          protect: fernet && args.production === true,
          retainOnDelete: fernet && args.production === true,
          ...(rotated
            ? {
                ignoreChanges: ["properties.value", "properties.attributes"],
                dependsOn: args.rotatedSecretsDependOn,
              }
            : {}),
        },
      );
    }
    // The names are the stack output `keyVaultSecretNames` (one copy in state).
    this.registerOutputs({});
  }
}
