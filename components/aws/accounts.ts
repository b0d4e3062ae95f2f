/**
 * Secrets in a central account, Airflow in workload accounts (`aws.accounts`). The secrets account
 * holds the store, the KMS key, the Airflow reader role, the CI writer, rotation and the audit trail;
 * the workload account holds the EKS cluster and Airflow's IRSA role, whose only permission is to
 * assume its environment's reader. Airflow's AWS secrets backends build their boto session from
 * `backend_kwargs` like an Airflow connection's extra, so `role_arn` and
 * `assume_role_kwargs.RoleSessionName` make every lookup (connections, variables, config — the
 * Fernet key included) run as the reader:
 * - apache/airflow, providers/amazon/src/airflow/providers/amazon/aws/secrets/secrets_manager.py
 *   (`client`: `AwsConnectionWrapper.from_connection_metadata(extra=self.kwargs)`), same in
 *   systems_manager.py;
 * - utils/connection_wrapper.py @ 02df1653021c2a179e66e2231f6100e450dc2e88 (`_get_assume_role_configs`:
 *   `role_arn`, `assume_role_method` default `assume_role`, `assume_role_kwargs` a dict);
 * - hooks/base_aws.py @ 0187d0312859d693a52ace61277c096d2224e114 (`_assume_role`:
 *   `RoleSessionName` defaults to `Airflow_<conn_id>` and `assume_role_kwargs` override it; the base
 *   session is boto's default chain, i.e. the pod's IRSA web identity).
 * A secret name resolves only in the caller's own account, which is why Airflow assumes a role in
 * the secrets account rather than reading across accounts with its own.
 *
 * Everything here is a pure function of the settings except `WorkloadReaderIdentity` and
 * `awsAccountProviders`, so the reader's ARN is known while planning (Airflow's config is static)
 * and both trust documents are known at preview, where the policy pack reads them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../airflow";
import { standardTags } from "./common";
import { PolicyDocument, PolicyStatement, irsaTrustPolicy } from "./policies";
import type { AwsBackendSettings } from "./schema";
import {
  ACCOUNT_ID_PATTERN,
  KMS_KEY_ARN_PATTERN,
  OIDC_PROVIDER_ARN_PATTERN,
  ROLE_ARN_PATTERN,
  isString,
  partitionOf,
} from "./validation";

/** `aws.accounts` after parsing (the schema is in schema.ts, which loads no provider SDK). */
export type AwsAccountsSettings = NonNullable<AwsBackendSettings["accounts"]>;

const ORGANIZATION_ID_PATTERN = /^o-[a-z0-9]{10,32}$/;

/** The account id in an ARN (`arn:partition:service:region:account:…`), when it has one. */
const accountOf = (arn: string): string | undefined => arn.split(":")[4] || undefined;

/** The part of the AWS settings the account rules read. */
export interface AccountsRuleInput {
  region?: string;
  oidcProviderArn?: string;
  accounts?: {
    secrets?: { accountId?: string; deployRoleArn?: string };
    workload?: { accountId?: string; deployRoleArn?: string };
    organizationId?: string;
  };
  kms?: { existing?: { keyArn?: string; replicaKeyArns?: Record<string, string> } };
}

/** The rules of `aws.accounts` and what it implies for the other settings (`aws.<field>` paths). */
export function checkAccounts(settings: AccountsRuleInput, problems: Problems): void {
  const accounts = settings.accounts;
  if (accounts === undefined) return;
  const ids: Partial<Record<"secrets" | "workload", string>> = {};
  for (const side of ["secrets", "workload"] as const) {
    const account = accounts[side];
    if (account === undefined) continue;
    const path = `aws.accounts.${side}`;
    if (
      problems.check(
        isString(account.accountId) && ACCOUNT_ID_PATTERN.test(account.accountId),
        `${path}.accountId`,
        'must be a 12-digit AWS account id, e.g. "111111111111" (quote it in YAML)',
      )
    )
      ids[side] = account.accountId;
    if (account.deployRoleArn !== undefined)
      problems.check(
        isString(account.deployRoleArn) &&
          ROLE_ARN_PATTERN.test(account.deployRoleArn) &&
          (ids[side] === undefined || accountOf(account.deployRoleArn) === ids[side]),
        `${path}.deployRoleArn`,
        `must be an IAM role ARN in the ${side} account ("arn:aws:iam::<accountId>:role/<name>")`,
      );
  }
  if (ids.secrets !== undefined && ids.workload !== undefined)
    problems.check(
      ids.secrets !== ids.workload,
      "aws.accounts.workload.accountId",
      "is the secrets account: with one account, leave aws.accounts out (Airflow's IRSA role is then the reader)",
    );
  if (accounts.organizationId !== undefined)
    problems.check(
      isString(accounts.organizationId) && ORGANIZATION_ID_PATTERN.test(accounts.organizationId),
      "aws.accounts.organizationId",
      'must be an AWS Organizations id: "o-" and 10 to 32 lowercase letters or digits',
    );
  if (ids.workload !== undefined && isString(settings.oidcProviderArn))
    problems.check(
      !OIDC_PROVIDER_ARN_PATTERN.test(settings.oidcProviderArn) ||
        accountOf(settings.oidcProviderArn) === ids.workload,
      "aws.oidcProviderArn",
      "must be in the workload account (aws.accounts.workload.accountId): the EKS cluster's OIDC provider is where Airflow runs",
    );
  const existingKeys = settings.kms?.existing;
  if (ids.secrets !== undefined && existingKeys !== undefined) {
    const keys = { keyArn: existingKeys.keyArn, ...existingKeys.replicaKeyArns };
    for (const [field, arn] of Object.entries(keys)) {
      if (!isString(arn) || !KMS_KEY_ARN_PATTERN.test(arn)) continue; // the key rules report its shape
      problems.check(
        accountOf(arn) === ids.secrets,
        field === "keyArn" ? "aws.kms.existing.keyArn" : `aws.kms.existing.replicaKeyArns.${field}`,
        "must be a key in the secrets account (aws.accounts.secrets.accountId), next to the secrets it encrypts",
      );
    }
  }
}

/** IAM role names are at most 64 characters (the same rule as the other roles of an environment). */
const roleName = (environment: string, purpose: string) =>
  `airflow-${environment}-secrets-${purpose}`.slice(0, 64);

/** Who reads what across the two accounts, all derived from the settings. */
export interface CrossAccountAccess {
  secretsAccountId: string;
  workloadAccountId: string;
  /** The environment's reader in the secrets account (the role `SecretsAccessRoles` creates). */
  readerRoleArn: string;
  /** Airflow's IRSA role in the workload account: it may only assume the reader. */
  workloadRoleName: string;
  workloadRoleArn: string;
  /** The STS session name Airflow's backend assumes the reader with (seen in CloudTrail). */
  sessionName: string;
  organizationId?: string;
}

/**
 * The cross-account layout of one environment, or undefined with one account (or while the region
 * or an account id is malformed: `checkAccounts` and the region rule report those).
 */
export function crossAccountAccess(
  environment: string,
  region: string | undefined,
  accounts: AwsAccountsSettings | undefined,
): CrossAccountAccess | undefined {
  if (accounts === undefined || accounts === null || !isString(region)) return undefined;
  if (
    ![accounts.secrets?.accountId, accounts.workload?.accountId].every(
      (id) => isString(id) && ACCOUNT_ID_PATTERN.test(id),
    )
  )
    return undefined;
  const partition = partitionOf(region);
  const secretsAccountId = accounts.secrets.accountId;
  const workloadAccountId = accounts.workload.accountId;
  const workloadRoleName = roleName(environment, "irsa");
  return {
    secretsAccountId,
    workloadAccountId,
    readerRoleArn: `arn:${partition}:iam::${secretsAccountId}:role/${roleName(environment, "reader")}`,
    workloadRoleName,
    workloadRoleArn: `arn:${partition}:iam::${workloadAccountId}:role/${workloadRoleName}`,
    // STS session names: 2-64 of [\w+=,.@-]; environment names are lowercase letters, digits and -.
    sessionName: `airflow-${environment}`,
    organizationId: accounts.organizationId ?? undefined,
  };
}

/**
 * What Airflow's AWS secrets backend needs to read as the reader: the session kwargs the amazon
 * provider passes to its connection wrapper (see the file comment), next to `region_name`.
 */
export function crossAccountKwargs(access: CrossAccountAccess): Record<string, unknown> {
  return {
    role_arn: access.readerRoleArn,
    assume_role_kwargs: { RoleSessionName: access.sessionName },
  };
}

const document = (statements: PolicyStatement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

/**
 * The reader's trust: only the environment's IRSA role in its workload account, by exact ARN (and,
 * given an organisation, only from inside it). No session tags are used, so no `sts:TagSession`.
 */
export function crossAccountReaderTrustPolicy(access: CrossAccountAccess): PolicyDocument {
  return document([
    {
      Sid: "AirflowWorkloadRoleOfThisEnvironment",
      Effect: "Allow",
      Principal: { AWS: access.workloadRoleArn },
      Action: "sts:AssumeRole",
      ...(access.organizationId !== undefined
        ? { Condition: { StringEquals: { "aws:PrincipalOrgID": access.organizationId } } }
        : {}),
    },
  ]);
}

/** Airflow's IRSA role in the workload account: assume its environment's reader, nothing else. */
export function assumeReaderPolicy(access: CrossAccountAccess): PolicyDocument {
  return document([
    {
      Sid: "AssumeTheEnvironmentReader",
      Effect: "Allow",
      Action: "sts:AssumeRole",
      Resource: access.readerRoleArn,
    },
  ]);
}

export interface WorkloadReaderIdentityArgs {
  environment: string;
  owner?: string;
  access: CrossAccountAccess;
  /** IAM OIDC provider of the EKS cluster (in the workload account). */
  oidcProviderArn: string;
  oidcIssuer: string;
  namespace: string;
  /** Airflow's service accounts (one per component, or one shared). */
  serviceAccounts: string[];
  tags?: Record<string, string>;
}

/**
 * Airflow's IRSA role in the workload account, built with the workload account's provider (the
 * parent passes it). It trusts the cluster's service account and may only `sts:AssumeRole` the
 * environment's reader in the secrets account. The reader's trust names this role, so it is created
 * first: the reader takes `readerTrustPolicy`, released once this role exists.
 */
export class WorkloadReaderIdentity extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly roleArn: pulumi.Output<string>;
  /** `eks.amazonaws.com/role-arn` for Airflow's service account. */
  readonly serviceAccountAnnotations: Record<string, pulumi.Output<string>>;
  /** The reader's trust document, released once this role exists (IAM refuses unknown principals). */
  readonly readerTrustPolicy: pulumi.Output<string>;

  constructor(name: string, args: WorkloadReaderIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:aws:WorkloadReaderIdentity", name, {}, opts);
    const { access } = args;
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        name: access.workloadRoleName,
        description: `Airflow ${args.environment} (${args.namespace}/${args.serviceAccounts.join(", ")}) through IRSA; only assumes its reader in ${access.secretsAccountId}`,
        assumeRolePolicy: JSON.stringify(irsaTrustPolicy(args)),
        maxSessionDuration: 3600,
        tags: standardTags(args.environment, args.owner, args.tags),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-assume-reader`,
      {
        role: this.role.name,
        name: "assume-environment-reader",
        policy: JSON.stringify(assumeReaderPolicy(access)),
      },
      { parent: this },
    );
    this.roleArn = this.role.arn;
    this.serviceAccountAnnotations = { "eks.amazonaws.com/role-arn": this.role.arn };
    // The URN is known at preview (the ARN is not), so the document stays readable there while the
    // reader still waits for this role.
    const trust = JSON.stringify(crossAccountReaderTrustPolicy(access));
    this.readerTrustPolicy = this.role.urn.apply(() => trust);
    this.registerOutputs({ roleArn: this.roleArn });
  }
}

/** The two AWS providers a stack program builds from `aws.accounts` (role to assume, region). */
export interface AwsAccountProviders {
  secrets: aws.Provider;
  workload: aws.Provider;
}

/**
 * One explicit provider per account, each pinned to its account (`allowedAccountIds`) so a wrong
 * credential fails before anything changes, and assuming `deployRoleArn` when given.
 */
export function awsAccountProviders(
  environment: string,
  region: string,
  accounts: AwsAccountsSettings,
): AwsAccountProviders {
  const provider = (side: "secrets" | "workload") => {
    const account = accounts[side];
    return new aws.Provider(`${environment}-aws-${side}`, {
      region: region as aws.Region,
      allowedAccountIds: [account.accountId],
      ...(account.deployRoleArn
        ? { assumeRoles: [{ roleArn: account.deployRoleArn, sessionName: `pulumi-airflow-${environment}` }] }
        : {}),
    });
  };
  return { secrets: provider("secrets"), workload: provider("workload") };
}
