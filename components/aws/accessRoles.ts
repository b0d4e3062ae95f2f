import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Problems, validateOrThrow } from "../airflow";
import { awsAccountContext, standardTags } from "./common";
import { checkEachOfNonEmptyList } from "../core/lists";
import {
  AwsAccountContext,
  GITHUB_OIDC_ISSUER,
  SecretStoreKind,
  StoreAccessScope,
  irsaTrustPolicy,
  readerPolicy,
  writerPolicy,
  writerTrustPolicy,
} from "./policies";
import {
  GITHUB_REPOSITORY_PATTERN,
  OIDC_PROVIDER_ARN_PATTERN,
  checkKnownKeys,
  checkNamespace,
  checkOidc,
  checkRecoveryWindow,
  checkRegion,
  checkReplicaRegions,
  checkRoleArnList,
  checkServiceAccount,
  checkTags,
  isString,
} from "./validation";

export interface CiWriterSettings {
  /** Create the writer policy (and role, when a trust is given). Default true. */
  enabled?: boolean;
  /** `owner/name`: GitHub Actions runs of this repository may assume the writer role (OIDC, no keys). */
  githubRepository?: string;
  /**
   * Token subjects after `repo:owner/name:`. Default `["ref:refs/heads/main"]`. Use
   * `environment:<name>` to require a GitHub environment with required reviewers. `pull_request`
   * is refused: code from a pull request must never write production secrets.
   */
  githubSubjects?: string[];
  /** The account's GitHub OIDC provider. Default `arn:…:iam::<account>:oidc-provider/token.actions.githubusercontent.com`. */
  githubOidcProviderArn?: string;
  /** Roles (e.g. a CI runner's own role) that may assume the writer role. */
  trustedRoleArns?: string[];
}

export const CI_WRITER_KEYS = [
  "enabled",
  "githubRepository",
  "githubSubjects",
  "githubOidcProviderArn",
  "trustedRoleArns",
] as const;
const GITHUB_SUBJECT_PATTERN = /^(ref:refs\/(heads|tags)\/[A-Za-z0-9._\/-]+|environment:[A-Za-z0-9._-]+)$/;
export const DEFAULT_GITHUB_SUBJECTS = ["ref:refs/heads/main"];

export interface SecretsAccessRolesArgs {
  environment: string;
  owner?: string;
  /** Primary region. */
  region: string;
  /** Regions the secrets are replicated to (the reader may read the replicas too). */
  replicaRegions?: string[];
  /** The store the roles act on. Default `secretsmanager`. */
  store?: SecretStoreKind;
  /** Name prefixes of the environment's secrets, each ending with its separator (from the contract). */
  namePrefixes: string[];
  /** The environment's KMS key ARNs, primary first. */
  kmsKeyArns: pulumi.Input<pulumi.Input<string>[]>;
  /** IAM OIDC provider of the EKS cluster, `arn:aws:iam::<account>:oidc-provider/<issuer>`. */
  oidcProviderArn: string;
  /** The cluster's issuer without scheme, e.g. `oidc.eks.eu-west-1.amazonaws.com/id/<ID>`. */
  oidcIssuer: string;
  /** Namespace of Airflow's pods. */
  namespace: string;
  /** Airflow's service accounts (one per component, or one shared): the reader's IRSA trust names each. */
  serviceAccounts: string[];
  /** The CI writer. */
  ciWriter?: CiWriterSettings;
  /**
   * Secrets Manager: the store's recovery window. The writer may not delete with a shorter one, and
   * never without recovery (`ForceDeleteWithoutRecovery`) whatever this is.
   */
  recoveryWindowInDays?: number;
  tags?: Record<string, string>;
  account?: pulumi.Input<AwsAccountContext>;
  /**
   * Across accounts: the reader's trust (Airflow's IRSA role in the workload account, from
   * `WorkloadReaderIdentity`), instead of the cluster's service account through IRSA.
   */
  readerTrustPolicy?: pulumi.Input<string>;
}

export function validateCiWriter(
  ciWriter: CiWriterSettings | undefined,
  path: string,
  problems: Problems,
): void {
  if (ciWriter === undefined) return;
  checkKnownKeys(ciWriter, CI_WRITER_KEYS, path, problems);
  if (ciWriter.enabled !== undefined)
    problems.check(typeof ciWriter.enabled === "boolean", `${path}.enabled`, "must be true or false");
  if (ciWriter.githubRepository !== undefined) {
    problems.check(
      isString(ciWriter.githubRepository) && GITHUB_REPOSITORY_PATTERN.test(ciWriter.githubRepository),
      `${path}.githubRepository`,
      'must be a GitHub repository "owner/name"',
    );
  }
  if (ciWriter.githubSubjects !== undefined) {
    problems.check(
      ciWriter.githubRepository !== undefined,
      `${path}.githubSubjects`,
      "needs githubRepository",
    );
    checkEachOfNonEmptyList(
      ciWriter.githubSubjects,
      `${path}.githubSubjects`,
      "must be a non-empty list",
      problems,
      (subject, at) =>
        problems.check(
          isString(subject) && GITHUB_SUBJECT_PATTERN.test(subject),
          at,
          'must be "ref:refs/heads/<branch>", "ref:refs/tags/<tag>" or "environment:<name>" without wildcards; pull requests may never write secrets',
        ),
    );
  }
  if (ciWriter.githubOidcProviderArn !== undefined) {
    const match = isString(ciWriter.githubOidcProviderArn)
      ? OIDC_PROVIDER_ARN_PATTERN.exec(ciWriter.githubOidcProviderArn)
      : null;
    problems.check(
      match !== null && match[match.length - 1] === GITHUB_OIDC_ISSUER,
      `${path}.githubOidcProviderArn`,
      `must be the account's "arn:aws:iam::<account>:oidc-provider/${GITHUB_OIDC_ISSUER}"`,
    );
  }
  checkRoleArnList(ciWriter.trustedRoleArns, `${path}.trustedRoleArns`, problems, undefined);
}

export function validateSecretsAccessRolesArgs(args: SecretsAccessRolesArgs, problems: Problems): void {
  checkRegion(args.region, "region", problems);
  checkReplicaRegions(args.replicaRegions, args.region, "replicaRegions", problems);
  // A given trust (across accounts, or off Kubernetes) replaces IRSA's: its fields are not used then.
  if (args.readerTrustPolicy === undefined) {
    checkOidc(
      args.oidcProviderArn,
      args.oidcIssuer,
      { providerArn: "oidcProviderArn", issuer: "oidcIssuer" },
      problems,
    );
    checkNamespace(args.namespace, "namespace", problems);
    checkEachOfNonEmptyList(
      args.serviceAccounts,
      "serviceAccounts",
      "must name at least one service account",
      problems,
      (name, at) => checkServiceAccount(name, at, problems),
    );
  }
  validateCiWriter(args.ciWriter, "ciWriter", problems);
  checkRecoveryWindow(args.recoveryWindowInDays, false, "recoveryWindowInDays", problems);
  checkTags(args.tags, "tags", problems);
  checkEachOfNonEmptyList(
    args.namePrefixes,
    "namePrefixes",
    "must list the environment's secret name prefixes",
    problems,
    (prefix, at) =>
      problems.check(
        isString(prefix) && prefix.replace(/^\//, "").length > 1,
        at,
        "must not be empty: the policies are scoped by it, and an empty prefix would cover every secret in the account",
      ),
  );
}

/** IAM role names are at most 64 characters. */
function roleName(environment: string, purpose: string): string {
  return `airflow-${environment}-secrets-${purpose}`.slice(0, 64);
}

/**
 * Who may touch the environment's secrets. The Airflow reader role is assumed by Airflow's pods
 * through IRSA (no keys) and reads only this environment's values, decrypting only through the
 * store. The CI writer policy (and role, trusted by GitHub OIDC or CI roles) writes values but can
 * never read or decrypt one. No IAM users or access keys exist anywhere.
 */
export class SecretsAccessRoles extends pulumi.ComponentResource {
  readonly readerRole: aws.iam.Role;
  readonly readerRoleArn: pulumi.Output<string>;
  readonly writerPolicy?: aws.iam.Policy;
  readonly writerPolicyArn?: pulumi.Output<string>;
  readonly writerRole?: aws.iam.Role;
  readonly writerRoleArn?: pulumi.Output<string>;
  /** `eks.amazonaws.com/role-arn` for Airflow's service account. */
  readonly serviceAccountAnnotations: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: SecretsAccessRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrThrow(`SecretsAccessRoles ${name}`, (problems) =>
      validateSecretsAccessRolesArgs(args, problems),
    );
    super("airflow-secrets:aws:SecretsAccessRoles", name, {}, opts);

    const account = args.account ?? awsAccountContext({ parent: this });
    const tags = standardTags(args.environment, args.owner, args.tags);
    const store = args.store ?? "secretsmanager";
    const regions =
      store === "secretsmanager" ? [args.region, ...(args.replicaRegions ?? [])] : [args.region];
    const scope = pulumi.all([account, args.kmsKeyArns]).apply(([acct, keyArns]): StoreAccessScope => ({
      store,
      account: acct,
      regions,
      namePrefixes: [...new Set(args.namePrefixes)].sort(),
      keyArns,
      minRecoveryWindowInDays: args.recoveryWindowInDays,
    }));

    this.readerRole = new aws.iam.Role(
      `${name}-reader`,
      {
        name: roleName(args.environment, "reader"),
        description:
          args.readerTrustPolicy === undefined
            ? `Airflow ${args.environment} (${args.namespace}/${args.serviceAccounts.join(", ")}) reads its secrets through IRSA`
            : `Airflow ${args.environment} reads its secrets, assumed by the roles its trust policy names`,
        assumeRolePolicy: args.readerTrustPolicy ?? JSON.stringify(irsaTrustPolicy(args)),
        maxSessionDuration: 3600,
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-reader-policy`,
      {
        role: this.readerRole.name,
        name: "read-environment-secrets",
        policy: scope.apply((s) => JSON.stringify(readerPolicy(s))),
      },
      { parent: this },
    );
    this.readerRoleArn = this.readerRole.arn;
    this.serviceAccountAnnotations = { "eks.amazonaws.com/role-arn": this.readerRole.arn };

    const writer = args.ciWriter ?? {};
    if (writer.enabled !== false) {
      this.writerPolicy = new aws.iam.Policy(
        `${name}-writer-policy`,
        {
          name: roleName(args.environment, "writer"),
          description: `Write Airflow ${args.environment} secrets without reading them (CI)`,
          policy: scope.apply((s) => JSON.stringify(writerPolicy(s))),
          tags,
        },
        { parent: this },
      );
      this.writerPolicyArn = this.writerPolicy.arn;
      if (writer.githubRepository !== undefined || (writer.trustedRoleArns ?? []).length > 0) {
        const trust = pulumi.output(account).apply((acct) =>
          JSON.stringify(
            writerTrustPolicy({
              githubRepository: writer.githubRepository,
              githubSubjects: writer.githubSubjects ?? DEFAULT_GITHUB_SUBJECTS,
              githubOidcProviderArn:
                writer.githubOidcProviderArn ??
                `arn:${acct.partition}:iam::${acct.accountId}:oidc-provider/${GITHUB_OIDC_ISSUER}`,
              trustedRoleArns: writer.trustedRoleArns,
            }),
          ),
        );
        this.writerRole = new aws.iam.Role(
          `${name}-writer`,
          {
            name: roleName(args.environment, "writer"),
            description: `CI writes Airflow ${args.environment} secrets (never reads them)`,
            assumeRolePolicy: trust,
            maxSessionDuration: 3600,
            tags,
          },
          { parent: this },
        );
        new aws.iam.RolePolicyAttachment(
          `${name}-writer-attachment`,
          { role: this.writerRole.name, policyArn: this.writerPolicy.arn },
          { parent: this },
        );
        this.writerRoleArn = this.writerRole.arn;
      }
    }
    this.registerOutputs({
      readerRoleArn: this.readerRoleArn,
      writerPolicyArn: this.writerPolicyArn,
      writerRoleArn: this.writerRoleArn,
    });
  }
}
