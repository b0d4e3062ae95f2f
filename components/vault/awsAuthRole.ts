/**
 * Airflow off Kubernetes with the Vault backend (`kubernetes: false`: Amazon MWAA, Astronomer on
 * AWS, an EC2 host): Airflow logs in with Vault's AWS auth method, IAM type, as the IAM role it runs
 * as. Chosen over AppRole because nothing secret enters Airflow's configuration: AppRole's
 * `secret_id` would sit in `backend_kwargs`, which MWAA shows in plain text to anyone who may
 * describe the environment; with IAM auth Airflow signs an `sts:GetCallerIdentity` request with the
 * host's own credentials (apache/airflow main,
 * providers/hashicorp/src/airflow/providers/hashicorp/_internal_client/vault_client.py,
 * `_auth_aws_iam`: boto3's default session when no key is given; `role_id` is the Vault role).
 *
 * The role binds exactly the given role ARNs (`bound_iam_principal_arns`, no wildcard) and carries
 * the environment's reader policy (plus Vault's `default`, as the Kubernetes role), with the same
 * short token lifetimes.
 * The AWS auth mount is brought (Vault needs its own AWS access to resolve the bound ARNs to unique
 * ids, `iam:GetRole`, configured once per Vault by its operators), never created here.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { Problems } from "../airflow";
import { KUBERNETES_TOKEN_DEFAULTS } from "./authRoles";
import { checkMountPath, checkRoleName, checkTtlPair } from "./paths";

/** An IAM role ARN (any partition), exact: Vault would read a `*` as a wildcard. */
const IAM_ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

export const DEFAULT_AWS_AUTH_MOUNT = "aws";

export interface VaultAwsAuthRoleArgs {
  /** Path of an existing AWS auth method (bring your own); default `aws`. */
  mount?: string;
  /** Role name Airflow logs in with (`role_id`). */
  roleName: string;
  /** The IAM roles Airflow runs as (MWAA's execution role): the only principals bound. */
  airflowRoleArns: string[];
  /** Policies the issued token carries (the environment's reader policy). */
  policies: pulumi.Input<string>[];
  /** `token_ttl`; default 3600 (1 h). */
  tokenTtlSeconds?: number;
  /** `token_max_ttl`; default 14400 (4 h); at least `tokenTtlSeconds`. */
  tokenMaxTtlSeconds?: number;
  /** Vault Enterprise namespace. */
  vaultNamespace?: string;
}

export function validateAwsAuthRoleArgs(
  args: Omit<VaultAwsAuthRoleArgs, "policies">,
  problems: Problems,
  field = "awsAuth",
): void {
  if (args.mount !== undefined) checkMountPath(args.mount, `${field}.mount`, problems);
  checkRoleName(args.roleName, `${field}.roleName`, problems);
  const arns = args.airflowRoleArns;
  if (
    problems.check(
      Array.isArray(arns) && arns.length > 0,
      `${field}.airflowRoleArns`,
      "must name at least one IAM role Airflow runs as (MWAA's execution role)",
    )
  ) {
    arns.forEach((arn, i) =>
      problems.check(
        typeof arn === "string" && IAM_ROLE_ARN.test(arn),
        `${field}.airflowRoleArns[${i}]`,
        'must be an IAM role ARN such as "arn:aws:iam::123456789012:role/name", without wildcards',
      ),
    );
    problems.check(
      new Set(arns).size === arns.length,
      `${field}.airflowRoleArns`,
      "must not list a role twice",
    );
  }
  checkTtlPair(
    args.tokenTtlSeconds ?? KUBERNETES_TOKEN_DEFAULTS.tokenTtlSeconds,
    args.tokenMaxTtlSeconds ?? KUBERNETES_TOKEN_DEFAULTS.tokenMaxTtlSeconds,
    86400,
    { ttl: `${field}.tokenTtlSeconds`, maxTtl: `${field}.tokenMaxTtlSeconds` },
    problems,
  );
}

/** Airflow's AWS IAM auth role: the roles it runs as get a short-lived token with the reader policy. */
export class VaultAwsAuthRole extends pulumi.ComponentResource {
  readonly mount: string;
  readonly role: vault.aws.AuthBackendRole;
  readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: VaultAwsAuthRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:vault:VaultAwsAuthRole", name, {}, opts);
    this.mount = args.mount ?? DEFAULT_AWS_AUTH_MOUNT;
    this.role = new vault.aws.AuthBackendRole(
      `${name}-role`,
      {
        backend: this.mount,
        role: args.roleName,
        authType: "iam",
        boundIamPrincipalArns: [...args.airflowRoleArns],
        tokenPolicies: args.policies,
        tokenTtl: args.tokenTtlSeconds ?? KUBERNETES_TOKEN_DEFAULTS.tokenTtlSeconds,
        tokenMaxTtl: args.tokenMaxTtlSeconds ?? KUBERNETES_TOKEN_DEFAULTS.tokenMaxTtlSeconds,
        // Airflow's client checks its token with lookup-self (hvac is_authenticated), which the
        // `default` policy grants, as on the Kubernetes role.
        tokenNoDefaultPolicy: false,
        ...(args.vaultNamespace !== undefined ? { namespace: args.vaultNamespace } : {}),
      },
      { parent: this },
    );
    this.roleName = this.role.role;
    this.registerOutputs({ roleName: this.roleName });
  }
}
