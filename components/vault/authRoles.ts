import { isIP } from "net";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { Problems } from "../airflow";
import { checkEachOfNonEmptyList } from "../core/lists";
import { checkMountPath, checkRoleName, checkTtlPair } from "./paths";

const DAY = 86400;

/** An IPv4 or IPv6 CIDR block whose prefix length fits the address family. */
function isCidr(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const family = isIP(match[1]);
  const bits = Number(match[2]);
  return family !== 0 && bits <= (family === 4 ? 32 : 128);
}
const K8S_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Airflow's Vault tokens: an hour, re-issued by a fresh login for at most four. */
export const KUBERNETES_TOKEN_DEFAULTS = { tokenTtlSeconds: 3600, tokenMaxTtlSeconds: 4 * 3600 } as const;
/** CI writer tokens live as long as one `pulumi up`. */
export const CI_TOKEN_DEFAULTS = { tokenTtlSeconds: 900, tokenMaxTtlSeconds: 3600 } as const;

const tokenTtlFields = (field: string) => ({
  ttl: `${field}.tokenTtlSeconds`,
  maxTtl: `${field}.tokenMaxTtlSeconds`,
});

export interface VaultKubernetesAuthRoleArgs {
  /** Path of an existing Kubernetes auth method (bring your own); default `kubernetes`. */
  mount?: string;
  /** Role name Airflow logs in with (`kubernetes_role`). */
  roleName: string;
  /**
   * Airflow's Kubernetes service accounts (one per component, or one shared) and their namespace:
   * the only identities bound (`bound_service_account_names`, exact names).
   */
  serviceAccounts: string[];
  namespace: string;
  /** Policies the issued token carries (the environment's reader policy). */
  policies: pulumi.Input<string>[];
  /** `token_ttl`; default 3600 (1 h). Airflow logs in again when its token expires. */
  tokenTtlSeconds?: number;
  /** `token_max_ttl`; default 14400 (4 h); at least `tokenTtlSeconds`. */
  tokenMaxTtlSeconds?: number;
  /** `audience` the service account token must carry (match the projected token's audience). */
  audience?: string;
  /** CIDRs the token may be used from (the cluster's pod network). */
  tokenBoundCidrs?: string[];
  /** Vault Enterprise namespace. */
  vaultNamespace?: string;
}

export function validateKubernetesAuthRoleArgs(
  args: VaultKubernetesAuthRoleArgs,
  problems: Problems,
  field = "kubernetesAuth",
): void {
  if (args.mount !== undefined) checkMountPath(args.mount, `${field}.mount`, problems);
  checkRoleName(args.roleName, `${field}.roleName`, problems);
  // Vault accepts "*" and globs here; Airflow's reader must be bound to exactly Airflow's accounts.
  checkEachOfNonEmptyList(
    args.serviceAccounts,
    `${field}.serviceAccounts`,
    "must name at least one Kubernetes service account",
    problems,
    (name, at) =>
      problems.check(
        K8S_NAME.test(name ?? ""),
        at,
        "must be one Kubernetes service account name, no wildcards",
      ),
  );
  problems.check(
    K8S_NAME.test(args.namespace ?? ""),
    `${field}.namespace`,
    `must be one Kubernetes namespace name, no wildcards`,
  );
  const ttl = args.tokenTtlSeconds ?? KUBERNETES_TOKEN_DEFAULTS.tokenTtlSeconds;
  const maxTtl = args.tokenMaxTtlSeconds ?? KUBERNETES_TOKEN_DEFAULTS.tokenMaxTtlSeconds;
  checkTtlPair(ttl, maxTtl, DAY, tokenTtlFields(field), problems);
  if (args.audience !== undefined) {
    problems.check(
      typeof args.audience === "string" && args.audience.trim().length > 0 && !/\s/.test(args.audience),
      `${field}.audience`,
      `must be a non-empty audience without spaces`,
    );
  }
  (args.tokenBoundCidrs ?? []).forEach((cidr, i) =>
    problems.check(isCidr(cidr), `${field}.tokenBoundCidrs[${i}]`, `must be a CIDR like 10.0.0.0/16`),
  );
  problems.check(
    Array.isArray(args.policies) && args.policies.length > 0,
    `${field}.policies`,
    "must name at least one policy",
  );
}

/**
 * Binds Airflow's Kubernetes service accounts (exact names, one namespace) to the environment's reader
 * policy with short-lived tokens. Airflow's `VaultBackend` logs in with `auth_type: kubernetes` and
 * `kubernetes_role`, reading the pod's service account token.
 */
export class VaultKubernetesAuthRole extends pulumi.ComponentResource {
  readonly role: vault.kubernetes.AuthBackendRole;
  readonly roleName: pulumi.Output<string>;
  readonly mount: string;

  constructor(name: string, args: VaultKubernetesAuthRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:vault:VaultKubernetesAuthRole", name, {}, opts);
    this.mount = args.mount ?? "kubernetes";
    this.role = new vault.kubernetes.AuthBackendRole(
      `${name}-role`,
      {
        backend: this.mount,
        roleName: args.roleName,
        boundServiceAccountNames: [...new Set(args.serviceAccounts)],
        boundServiceAccountNamespaces: [args.namespace],
        audience: args.audience,
        tokenPolicies: args.policies,
        tokenTtl: args.tokenTtlSeconds ?? KUBERNETES_TOKEN_DEFAULTS.tokenTtlSeconds,
        tokenMaxTtl: args.tokenMaxTtlSeconds ?? KUBERNETES_TOKEN_DEFAULTS.tokenMaxTtlSeconds,
        tokenBoundCidrs: args.tokenBoundCidrs,
        // Airflow's client checks its token with lookup-self (hvac is_authenticated), which the
        // `default` policy grants: without it every lookup would look like an expired login.
        tokenNoDefaultPolicy: false,
        namespace: args.vaultNamespace,
      },
      { parent: this },
    );
    this.roleName = this.role.roleName;
    this.registerOutputs({ roleName: this.roleName });
  }
}

export interface VaultCiWriterRoleArgs {
  /** Path of an existing JWT auth method trusting the CI's OIDC issuer; default `jwt`. */
  mount?: string;
  roleName: string;
  /** Policies the CI token carries (the environment's writer policy). */
  policies: pulumi.Input<string>[];
  /** `aud` values the CI's OIDC token must carry, e.g. `https://github.com/acme`. */
  boundAudiences: string[];
  /** GitHub Actions `repository` claim, `owner/name`, matched exactly. */
  repository: string;
  /** GitHub Actions `environment` claim (a protected environment with required reviewers). */
  environment?: string;
  /** GitHub Actions `ref` claim, e.g. `refs/heads/main`. */
  ref?: string;
  /** `token_ttl`; default 900 (15 min). */
  tokenTtlSeconds?: number;
  /** `token_max_ttl`; default 3600 (1 h); at least `tokenTtlSeconds`. */
  tokenMaxTtlSeconds?: number;
  /** Production: the role must be bound to a protected `environment` or a `ref`. */
  production?: boolean;
  vaultNamespace?: string;
}

const CLAIM_VALUE = /^[A-Za-z0-9_.\-/:@]+$/;

export function validateCiWriterRoleArgs(
  args: VaultCiWriterRoleArgs,
  problems: Problems,
  field = "ciWriter",
): void {
  if (args.mount !== undefined) checkMountPath(args.mount, `${field}.mount`, problems);
  checkRoleName(args.roleName, `${field}.roleName`, problems);
  problems.check(
    typeof args.repository === "string" && /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(args.repository),
    `${field}.repository`,
    `must be one repository "owner/name", no wildcards`,
  );
  checkEachOfNonEmptyList(
    args.boundAudiences,
    `${field}.boundAudiences`,
    "must list at least one audience (a JWT role without one accepts tokens minted for anything)",
    problems,
    (aud, at) =>
      problems.check(
        typeof aud === "string" && aud.length > 0 && !/[\s*,]/.test(aud),
        at,
        `must be one audience without spaces, commas or "*"`,
      ),
  );
  for (const claim of ["environment", "ref"] as const) {
    const value = args[claim];
    if (value !== undefined) {
      problems.check(
        typeof value === "string" && CLAIM_VALUE.test(value),
        `${field}.${claim}`,
        `must be an exact claim value: letters, digits and _.-/:@, no "*" or ","`,
      );
    }
  }
  if (args.production) {
    problems.check(
      args.environment !== undefined || args.ref !== undefined,
      `${field}.environment`,
      "production writers must be bound to a protected CI environment or a ref, or any workflow of the repository could write production secrets",
    );
  }
  const ttl = args.tokenTtlSeconds ?? CI_TOKEN_DEFAULTS.tokenTtlSeconds;
  const maxTtl = args.tokenMaxTtlSeconds ?? CI_TOKEN_DEFAULTS.tokenMaxTtlSeconds;
  checkTtlPair(ttl, maxTtl, DAY, tokenTtlFields(field), problems);
  problems.check(
    Array.isArray(args.policies) && args.policies.length > 0,
    `${field}.policies`,
    "must name at least one policy",
  );
}

/**
 * A JWT role for the CI pipeline that applies secret changes (e.g. GitHub Actions OIDC), bound to
 * one repository and, ideally, one protected environment, carrying only the writer policy.
 */
export class VaultCiWriterRole extends pulumi.ComponentResource {
  readonly role: vault.jwt.AuthBackendRole;
  readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: VaultCiWriterRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:vault:VaultCiWriterRole", name, {}, opts);
    const boundClaims: Record<string, string> = { repository: args.repository };
    if (args.environment !== undefined) boundClaims.environment = args.environment;
    if (args.ref !== undefined) boundClaims.ref = args.ref;
    this.role = new vault.jwt.AuthBackendRole(
      `${name}-role`,
      {
        backend: args.mount ?? "jwt",
        roleName: args.roleName,
        roleType: "jwt",
        boundAudiences: args.boundAudiences,
        boundClaims,
        // Exact matches only: "glob" would let `acme/*` through.
        boundClaimsType: "string",
        userClaim: "sub",
        // Who ran the workflow shows up in the audit log's auth metadata.
        claimMappings: { actor: "actor", repository: "repository", ref: "ref", run_id: "run_id" },
        tokenPolicies: args.policies,
        tokenTtl: args.tokenTtlSeconds ?? CI_TOKEN_DEFAULTS.tokenTtlSeconds,
        tokenMaxTtl: args.tokenMaxTtlSeconds ?? CI_TOKEN_DEFAULTS.tokenMaxTtlSeconds,
        namespace: args.vaultNamespace,
      },
      { parent: this },
    );
    this.roleName = this.role.roleName;
    this.registerOutputs({ roleName: this.roleName });
  }
}
