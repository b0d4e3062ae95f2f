import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { Problems, isKnown } from "../airflow";
import {
  DatabaseAccess,
  PostgresGrantScope,
  checkIdentifier,
  creationStatements,
  postgresConnectionUrl,
  renewStatements,
  revocationStatements,
  staticRotationStatements,
  validateGrantScope,
} from "./databaseStatements";
import { checkMountPath, checkRoleName, checkSeconds, checkTtlPair } from "./paths";

const DAY = 86400;
const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;
export type PostgresSslMode = (typeof SSL_MODES)[number];

/** The checklist's "DB passwords (Vault dynamic): per-task, 1h TTL"; a lease can be renewed up to 4 h. */
export const DYNAMIC_ROLE_DEFAULTS = { defaultTtlSeconds: 3600, maxTtlSeconds: 4 * 3600 } as const;
/** Static roles rotate monthly by default; production allows at most the checklist's quarter. */
export const STATIC_ROLE_DEFAULTS = {
  rotationPeriodSeconds: 30 * DAY,
  productionMaxSeconds: 90 * DAY,
} as const;

export interface VaultDatabaseRoleSpec {
  /** Short name; the Vault role is `airflow-{env}-{name}`. */
  name: string;
  access: DatabaseAccess;
  /** Schemas the role may use; default the engine's `schemas`. */
  schemas?: string[];
  /** Read-write only: may create tables (owned objects are reassigned on revocation). */
  allowCreate?: boolean;
  /** Who receives owned objects on revocation; default Vault's connection user. */
  reassignOwnedTo?: string;
  /** `default_ttl`; default 3600 (1 h, one task). */
  defaultTtlSeconds?: number;
  /** `max_ttl`; default 14400; must be at least `defaultTtlSeconds`. */
  maxTtlSeconds?: number;
}

export interface VaultStaticRoleSpec {
  /** Short name; the Vault role is `airflow-{env}-{name}`. */
  name: string;
  /**
   * An existing database user whose password Vault rotates. Vault's user must be able to alter it
   * (PostgreSQL 16+: `GRANT <user> TO <vault user> WITH ADMIN OPTION`).
   */
  username: string;
  /** `rotation_period`; default 30 days; production at most 90 days. */
  rotationPeriodSeconds?: number;
}

export interface VaultDatabaseSecretsArgs {
  environment: string;
  /** Database secrets engine mount this component creates; default `database`. */
  mount?: string;
  /** Bring your own mount (owned elsewhere): nothing is mounted. */
  existing?: { mount: string };
  /** Short connection name; the Vault connection is `airflow-{env}-{connectionName}`. Default `warehouse`. */
  connectionName?: string;
  host: string;
  /** Default 5432. */
  port?: number;
  database: string;
  /** Default `verify-full` in production (required there, or `verify-ca`), `require` elsewhere. */
  sslmode?: PostgresSslMode;
  /** Vault's own database user (CREATEROLE, able to grant on the schemas). */
  username: string;
  /** Its password; always stored as a secret. */
  password: pulumi.Input<string>;
  /** Check the credentials when the connection is written; default true. */
  verifyConnection?: boolean;
  /** Default schemas for roles; default `["public"]`. */
  schemas?: string[];
  /** Dynamic roles; default a read-only and a read-write role. */
  roles?: VaultDatabaseRoleSpec[];
  staticRoles?: VaultStaticRoleSpec[];
  /** A Vault password policy for generated passwords (its alphabet must not contain `'`). */
  passwordPolicy?: string;
  production?: boolean;
  namespace?: string;
}

export const DEFAULT_DATABASE_ROLES: readonly VaultDatabaseRoleSpec[] = [
  { name: "readonly", access: "read-only" },
  { name: "readwrite", access: "read-write" },
];

export const databaseMount = (args: Pick<VaultDatabaseSecretsArgs, "mount" | "existing">) =>
  args.existing?.mount ?? args.mount ?? "database";
export const databaseRoleName = (environment: string, name: string) => `airflow-${environment}-${name}`;

/** `{mount}/creds/{role}` and `{mount}/static-creds/{role}`: the paths tasks read credentials from. */
export function databaseCredentialPaths(args: VaultDatabaseSecretsArgs): string[] {
  const mount = databaseMount(args);
  return [
    ...(args.roles ?? DEFAULT_DATABASE_ROLES).map(
      (r) => `${mount}/creds/${databaseRoleName(args.environment, r.name)}`,
    ),
    ...(args.staticRoles ?? []).map(
      (r) => `${mount}/static-creds/${databaseRoleName(args.environment, r.name)}`,
    ),
  ];
}

function grantScope(args: VaultDatabaseSecretsArgs, role: VaultDatabaseRoleSpec): PostgresGrantScope {
  return {
    database: args.database,
    schemas: role.schemas ?? args.schemas ?? ["public"],
    access: role.access,
    allowCreate: role.allowCreate,
    reassignOwnedTo: role.reassignOwnedTo,
  };
}

export function validateDatabaseSecretsArgs(
  args: VaultDatabaseSecretsArgs,
  problems: Problems,
  field = "database",
): void {
  if (args.mount !== undefined) checkMountPath(args.mount, `${field}.mount`, problems);
  if (args.existing !== undefined) checkMountPath(args.existing.mount, `${field}.existing.mount`, problems);
  if (args.connectionName !== undefined)
    checkRoleName(args.connectionName, `${field}.connectionName`, problems);
  problems.check(
    typeof args.host === "string" && /^[A-Za-z0-9.:_-]+$/.test(args.host),
    `${field}.host`,
    `must be a host name or IP address`,
  );
  if (args.port !== undefined) {
    problems.check(
      Number.isInteger(args.port) && args.port >= 1 && args.port <= 65535,
      `${field}.port`,
      `must be a port from 1 to 65535`,
    );
  }
  checkIdentifier(args.database, `${field}.database`, problems);
  checkIdentifier(args.username, `${field}.username`, problems);
  problems.check(
    args.password !== undefined,
    `${field}.password`,
    "is required (set it with pulumi config set --secret)",
  );
  if (isKnown(args.password)) {
    problems.check(
      typeof args.password === "string" && args.password.length > 0,
      `${field}.password`,
      "must be a non-empty string",
    );
  }
  if (args.sslmode !== undefined) {
    problems.check(
      SSL_MODES.includes(args.sslmode),
      `${field}.sslmode`,
      `must be one of ${SSL_MODES.join(", ")}`,
    );
  }
  if (args.production && args.sslmode !== undefined) {
    problems.check(
      args.sslmode === "verify-full" || args.sslmode === "verify-ca",
      `${field}.sslmode`,
      `production connections must verify the server certificate: "verify-full" or "verify-ca"`,
    );
  }
  if (args.passwordPolicy !== undefined)
    checkRoleName(args.passwordPolicy, `${field}.passwordPolicy`, problems);

  const roles = args.roles ?? DEFAULT_DATABASE_ROLES;
  const names = new Set<string>();
  roles.forEach((role, i) => {
    const roleField = `${field}.roles[${role?.name ?? i}]`;
    if (checkRoleName(role?.name, `${roleField}.name`, problems)) {
      checkRoleName(databaseRoleName(args.environment, role.name), `${roleField}.name`, problems);
      problems.check(!names.has(role.name), `${roleField}.name`, "duplicates another role's name");
      names.add(role.name);
    }
    validateGrantScope(grantScope(args, role ?? ({} as VaultDatabaseRoleSpec)), problems, roleField);
    const ttl = role?.defaultTtlSeconds ?? DYNAMIC_ROLE_DEFAULTS.defaultTtlSeconds;
    const maxTtl = role?.maxTtlSeconds ?? DYNAMIC_ROLE_DEFAULTS.maxTtlSeconds;
    checkTtlPair(
      ttl,
      maxTtl,
      7 * DAY,
      { ttl: `${roleField}.defaultTtlSeconds`, maxTtl: `${roleField}.maxTtlSeconds` },
      problems,
    );
  });
  (args.staticRoles ?? []).forEach((role, i) => {
    const roleField = `${field}.staticRoles[${role?.name ?? i}]`;
    if (checkRoleName(role?.name, `${roleField}.name`, problems)) {
      problems.check(!names.has(role.name), `${roleField}.name`, "duplicates another role's name");
      names.add(role.name);
    }
    checkIdentifier(role?.username, `${roleField}.username`, problems);
    problems.check(
      role?.username !== args.username,
      `${roleField}.username`,
      "must not be Vault's own connection user (rotating it would lock Vault out)",
    );
    const max = args.production ? STATIC_ROLE_DEFAULTS.productionMaxSeconds : 365 * DAY;
    checkSeconds(
      role?.rotationPeriodSeconds ?? STATIC_ROLE_DEFAULTS.rotationPeriodSeconds,
      `${roleField}.rotationPeriodSeconds`,
      problems,
      60,
      max,
    );
  });
}

/**
 * Vault's database secrets engine for one PostgreSQL database: a connection whose URL Vault fills
 * with its own credentials, dynamic roles issuing per-task logins that expire with their lease (read
 * only or read-write, revoked cleanly even when they own objects) and static roles whose passwords
 * Vault rotates. Airflow's `VaultBackend` cannot read these (it reads KV only): tasks read
 * `{mount}/creds/{role}` themselves, which the environment's reader policy allows.
 */
export class VaultDatabaseSecrets extends pulumi.ComponentResource {
  readonly mountPath: pulumi.Output<string>;
  readonly mount?: vault.Mount;
  readonly connection: vault.database.SecretBackendConnection;
  readonly roles: vault.database.SecretBackendRole[];
  readonly staticRoles: vault.database.SecretBackendStaticRole[];
  /** Paths tasks read credentials from (`{mount}/creds/{role}`, `{mount}/static-creds/{role}`). */
  readonly credentialPaths: string[];

  constructor(name: string, args: VaultDatabaseSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:vault:VaultDatabaseSecrets", name, {}, opts);
    const production = args.production === true;
    const resourceOpts = { parent: this };
    const path = databaseMount(args);
    if (args.existing !== undefined) {
      this.mountPath = pulumi.output(path);
    } else {
      // Unmounting revokes every lease (every issued user is dropped): protected in production.
      this.mount = new vault.Mount(
        `${name}-mount`,
        {
          path,
          type: "database",
          description: "Dynamic database credentials for Airflow tasks",
          namespace: args.namespace,
        },
        { ...resourceOpts, protect: production, retainOnDelete: production },
      );
      this.mountPath = this.mount.path;
    }

    const roles = args.roles ?? DEFAULT_DATABASE_ROLES;
    const staticRoles = args.staticRoles ?? [];
    const roleNames = [...roles, ...staticRoles].map((r) => databaseRoleName(args.environment, r.name));
    this.connection = new vault.database.SecretBackendConnection(
      `${name}-connection`,
      {
        backend: this.mountPath,
        name: databaseRoleName(args.environment, args.connectionName ?? "warehouse"),
        // Only this environment's roles may issue credentials through this connection.
        allowedRoles: roleNames,
        verifyConnection: args.verifyConnection ?? true,
        passwordPolicy: args.passwordPolicy,
        postgresql: {
          connectionUrl: postgresConnectionUrl(
            args.host,
            args.port ?? 5432,
            args.database,
            args.sslmode ?? (production ? "verify-full" : "require"),
          ),
          username: args.username,
          password: pulumi.secret(args.password),
        },
        namespace: args.namespace,
      },
      resourceOpts,
    );

    this.roles = roles.map((role) => {
      const scope = grantScope(args, role);
      return new vault.database.SecretBackendRole(
        `${name}-role-${role.name}`,
        {
          backend: this.mountPath,
          name: databaseRoleName(args.environment, role.name),
          dbName: this.connection.name,
          creationStatements: creationStatements(scope),
          renewStatements: renewStatements(),
          revocationStatements: revocationStatements(scope),
          defaultTtl: role.defaultTtlSeconds ?? DYNAMIC_ROLE_DEFAULTS.defaultTtlSeconds,
          maxTtl: role.maxTtlSeconds ?? DYNAMIC_ROLE_DEFAULTS.maxTtlSeconds,
          namespace: args.namespace,
        },
        resourceOpts,
      );
    });
    this.staticRoles = staticRoles.map(
      (role) =>
        new vault.database.SecretBackendStaticRole(
          `${name}-static-${role.name}`,
          {
            backend: this.mountPath,
            name: databaseRoleName(args.environment, role.name),
            dbName: this.connection.name,
            username: role.username,
            rotationPeriod: role.rotationPeriodSeconds ?? STATIC_ROLE_DEFAULTS.rotationPeriodSeconds,
            rotationStatements: staticRotationStatements(),
            namespace: args.namespace,
          },
          resourceOpts,
        ),
    );
    this.credentialPaths = databaseCredentialPaths(args);
    this.registerOutputs({ mountPath: this.mountPath, credentialPaths: this.credentialPaths });
  }
}
