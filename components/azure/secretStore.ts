import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import {
  AirflowSettings,
  PlanArgs,
  Problems,
  RotationDeclaration,
  SecretKind,
  SecretsDeclarations,
  SecretsLayout,
  SecretsPlan,
  backendProfile,
  configKey,
  defaultConnectionFormat,
  parseAirflowVersion,
  planSecrets,
  validatePlan,
} from "../airflow";
import { driverFor } from "../rotation/driver";
import { IDLE_JOURNAL_VALUE } from "./rotator/config";
import { ExpirySettings, initialRotatedExpiry, staticExpiry, validateExpiry } from "./expiry";
import { checkResourceGroupName } from "./naming";

/** Event Grid's StringIn filter takes at most 25 values: one subscription covers that many secrets. */
export const MAX_ROTATED_SECRETS = 25;
/** Suffix of the journal secret the rotator writes a pending credential to before changing the database. */
export const JOURNAL_SUFFIX = "-rotation-pending";
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
  /** Environment name (dev, staging, prod). */
  environment: string;
  declarations: SecretsDeclarations;
  airflow: AirflowSettings;
  /** Overrides of the default layout (`airflow-{env}-connections`, sep `-`). */
  layout?: Partial<SecretsLayout>;
  /** The vault: name (an Output of the vault, so secrets wait for it), group and data-plane URL. */
  vault: { name: pulumi.Input<string>; resourceGroupName: string; url: string };
  /** Expiry of non-rotated secrets. Default 365 days from the start of the quarter. */
  expiry?: ExpirySettings;
  /** Production: the stored Fernet key is protected and retained on delete. */
  production?: boolean;
  /**
   * What rotated secrets wait for: the Event Grid subscription, because Key Vault only announces the
   * expiry of versions created after a subscription exists.
   */
  rotatedSecretsDependOn?: pulumi.Input<pulumi.Resource>[];
  /** The clock expiries are derived from (tests pin it). */
  now?: Date;
  tags?: Record<string, string>;
}

function planArgs(args: KeyVaultSecretStoreArgs): PlanArgs {
  return {
    backend: "azure-key-vault",
    environment: args.environment,
    declarations: args.declarations,
    airflow: args.airflow,
    layout: args.layout,
    extraKwargs: { vault_url: args.vault.url },
  };
}

/**
 * The contract's validation plus what this store adds: rotated connections must be JSON (the
 * rotator edits fields), of a type the rotation core drives, and their journal names must not be
 * names Airflow reads.
 */
export function validateKeyVaultSecretStore(
  args: KeyVaultSecretStoreArgs,
  problems: Problems,
  now = new Date(),
): boolean {
  const before = problems.list.length;
  checkResourceGroupName(args.vault.resourceGroupName, "vault.resourceGroupName", problems);
  checkSecretTagCount(args.tags, "tags", problems);
  if (args.expiry) validateExpiry(args.expiry, now, problems);
  validatePlan(planArgs(args), problems);
  const rotated = (args.declarations.connections ?? []).filter(
    (c) => c?.rotation !== undefined && typeof c.conn_id === "string",
  );
  if (rotated.length > 0) {
    const scratch = new Problems();
    const version = parseAirflowVersion(args.airflow.version, scratch);
    if (version && defaultConnectionFormat(args.airflow, version) !== "json") {
      problems.add(
        "airflow.connectionFormat",
        "rotated connections are stored as JSON (the rotator rewrites the password field); URI connections cannot be rotated",
      );
    }
    for (const conn of rotated.filter((c) => typeof c.conn_type === "string")) {
      try {
        driverFor(conn.conn_type, `connections[${conn.conn_id}]`);
      } catch (error) {
        problems.add(`connections[${conn.conn_id}].rotation`, (error as Error).message);
      }
    }
    problems.check(
      rotated.length <= MAX_ROTATED_SECRETS,
      "connections",
      `at most ${MAX_ROTATED_SECRETS} connections can rotate per vault (Event Grid's StringIn filter limit); got ${rotated.length}`,
    );
    const profile = backendProfile("azure-key-vault");
    const layout = { ...profile.defaultLayout(args.environment), ...(args.layout ?? {}) };
    const taken = new Map<string, string>();
    const ids: Array<[SecretKind, string]> = [
      ...(args.declarations.connections ?? []).map((c): [SecretKind, string] => ["connection", c.conn_id]),
      ...(args.declarations.variables ?? []).map((v): [SecretKind, string] => ["variable", v.key]),
      ...(args.declarations.config ?? []).map((c): [SecretKind, string] => [
        "config",
        configKey(c, "azure-key-vault"),
      ]),
    ];
    for (const [kind, id] of ids)
      taken.set(profile.collisionKey(profile.storageName(layout, kind, id)), `${kind} ${id}`);
    for (const r of rotatedSecretNames(args.environment, args.declarations, args.layout)) {
      const path = `connections[${r.connId}].rotation`;
      const clash = taken.get(profile.collisionKey(r.journalName));
      problems.check(
        clash === undefined,
        path,
        `the rotator's journal secret "${r.journalName}" is the name Airflow reads for ${clash}; rename one`,
      );
      profile.checkStorageName(r.journalName, path, problems);
    }
  }
  return problems.list.length === before;
}

/** What the rotator needs to know about one rotated connection, computed from declarations alone. */
export interface RotatedSecretNames {
  connId: string;
  /** The stored name Airflow reads. */
  name: string;
  journalName: string;
  masterName?: string;
  strategy: RotationDeclaration["strategy"];
  everyDays: number;
}

/** The names of rotated secrets and their journals and masters, as the contract names them. */
export function rotatedSecretNames(
  environment: string,
  declarations: SecretsDeclarations,
  layoutOverrides?: Partial<SecretsLayout>,
): RotatedSecretNames[] {
  const profile = backendProfile("azure-key-vault");
  const layout = { ...profile.defaultLayout(environment), ...(layoutOverrides ?? {}) };
  const nameOf = (connId: string) => profile.storageName(layout, "connection", connId);
  return (declarations.connections ?? [])
    .filter((c) => c.rotation !== undefined)
    .map((c) => ({
      connId: c.conn_id,
      name: nameOf(c.conn_id),
      journalName: nameOf(c.conn_id) + JOURNAL_SUFFIX,
      masterName: c.rotation!.masterConnId !== undefined ? nameOf(c.rotation!.masterConnId) : undefined,
      strategy: c.rotation!.strategy,
      everyDays: c.rotation!.everyDays,
    }));
}

/**
 * Every planned secret as one `keyvault.Secret`: name and value exactly as the contract planned
 * them (value secret), a content type, an expiry that is stable across runs, tags. Rotated secrets
 * get a journal secret beside them and, after creation, belong to the rotator: their value and
 * expiry are ignored by later updates so `pulumi up` never writes back a stale password.
 */
export class KeyVaultSecretStore extends pulumi.ComponentResource {
  readonly plan: SecretsPlan;
  /** Resources by stored name. */
  readonly secrets: Record<string, keyvault.Secret>;
  readonly rotated: RotatedSecretNames[];
  /** Journal secrets by the rotated secret's name. */
  readonly journalSecrets: Record<string, keyvault.Secret>;

  constructor(name: string, args: KeyVaultSecretStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    const now = args.now ?? new Date();
    const problems = new Problems();
    validateKeyVaultSecretStore(args, problems, now);
    problems.throwIfAny("KeyVaultSecretStore");
    const plan = planSecrets(planArgs(args));
    super("airflow-secrets:azure:KeyVaultSecretStore", name, {}, opts);
    this.plan = plan;
    this.rotated = rotatedSecretNames(args.environment, args.declarations, args.layout);
    const rotatedNames = new Set(this.rotated.map((r) => r.name));

    const expires = staticExpiry(args.expiry ?? {}, now);
    const rotatedExpires = initialRotatedExpiry(now);
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
    this.journalSecrets = {};
    for (const r of this.rotated) {
      this.journalSecrets[r.name] = new keyvault.Secret(
        `${name}-${r.journalName}`,
        {
          vaultName: args.vault.name,
          resourceGroupName: args.vault.resourceGroupName,
          secretName: r.journalName,
          properties: {
            value: pulumi.secret(IDLE_JOURNAL_VALUE),
            contentType: "application/json",
            attributes: { enabled: true, expires },
          },
          tags: { ...(args.tags ?? {}), purpose: "rotation-journal", "rotation-for": r.name },
        },
        { parent: this, ignoreChanges: ["properties.value", "properties.attributes", "tags"] },
      );
    }
    this.registerOutputs({ names: Object.keys(this.secrets) });
  }
}
