/**
 * Airflow off Kubernetes (`kubernetes: false`: Amazon MWAA, Astronomer on AWS, an EC2 host): no
 * service account to bind through IRSA, so the environment's reader role trusts the IAM roles
 * Airflow runs as (`aws.offKubernetes.airflowRoleArns`), by exact ARN, and nothing else. The reader's
 * permissions, the key policy and every secret's resource policy are unchanged: only the reader
 * role reads, so MWAA's execution role gains no secret permission of its own.
 *
 * Airflow assumes the reader through `backend_kwargs`: the amazon provider's secrets backends pass
 * their extra kwargs to an AWS connection wrapper (`SecretsManagerBackend__connection`), so
 * `role_arn` makes them assume that role with the host's credentials, as across accounts
 * (accounts.ts; apache/airflow main,
 * providers/amazon/src/airflow/providers/amazon/aws/secrets/secrets_manager.py, `client`). Pure: no SDK.
 */
import type { Problems } from "../airflow";
import type { KubernetesSettings } from "../backend";
import type { PolicyDocument } from "./policies";
import { ACCOUNT_ID_PATTERN, checkRoleArnList, isString, partitionOf } from "./validation";

/** The settings this file reads (the schema's `offKubernetes` block and the IRSA fields it replaces). */
export interface AwsTargetSettings {
  region?: string;
  oidcProviderArn?: string;
  oidcIssuer?: string;
  accounts?: unknown;
  offKubernetes?: { airflowRoleArns: string[]; accountId: string };
}

/**
 * Which identity fields go with the target: IRSA's on Kubernetes, `offKubernetes` off it. Paths
 * name the field; values are never quoted.
 */
export function checkAwsTarget(
  settings: AwsTargetSettings,
  kubernetes: KubernetesSettings | false,
  problems: Problems,
): void {
  if (kubernetes !== false) {
    // With one of the two given, the OIDC rule (checkOidc) names the missing one.
    if (settings.oidcProviderArn === undefined && settings.oidcIssuer === undefined)
      for (const field of ["oidcProviderArn", "oidcIssuer"] as const)
        problems.add(
          `aws.${field}`,
          "is required on Kubernetes: Airflow's service accounts reach the reader role through IRSA",
        );
    problems.check(
      settings.offKubernetes === undefined,
      "aws.offKubernetes",
      "applies only with kubernetes: false; on Kubernetes the reader role trusts Airflow's service accounts through IRSA",
    );
    return;
  }
  for (const field of ["oidcProviderArn", "oidcIssuer"] as const)
    problems.check(
      settings[field] === undefined,
      `aws.${field}`,
      "is IRSA's and kubernetes is false: remove it; aws.offKubernetes.airflowRoleArns names who assumes the reader role",
    );
  problems.check(
    settings.accounts === undefined,
    "aws.accounts",
    "builds Airflow's IRSA role in the workload account, and kubernetes is false: remove it and list Airflow's role of that account in aws.offKubernetes.airflowRoleArns",
  );
  const off = settings.offKubernetes;
  if (
    !problems.check(
      off !== undefined,
      "aws.offKubernetes",
      "is required with kubernetes: false: name the IAM roles Airflow runs as (airflowRoleArns, e.g. MWAA's execution role) and the account of the reader role (accountId)",
    )
  )
    return;
  checkRoleArnList(
    off!.airflowRoleArns,
    "aws.offKubernetes.airflowRoleArns",
    problems,
    "must name at least one IAM role Airflow runs as (MWAA's execution role, Astronomer's role)",
  );
  problems.check(
    isString(off!.accountId) && ACCOUNT_ID_PATTERN.test(off!.accountId),
    "aws.offKubernetes.accountId",
    "must be a 12-digit AWS account id",
  );
}

/** IAM role names are at most 64 characters (the name `SecretsAccessRoles` gives the reader). */
const readerRoleName = (environment: string) => `airflow-${environment}-secrets-reader`.slice(0, 64);

/** The reader role's ARN as Airflow's `backend_kwargs` name it (undefined while a part is malformed). */
export function offKubernetesReaderRoleArn(
  environment: string,
  settings: AwsTargetSettings,
): string | undefined {
  const accountId = settings.offKubernetes?.accountId;
  if (!isString(settings.region) || !isString(accountId) || !ACCOUNT_ID_PATTERN.test(accountId))
    return undefined;
  return `arn:${partitionOf(settings.region)}:iam::${accountId}:role/${readerRoleName(environment)}`;
}

/** Off Kubernetes, the `backend_kwargs` that make Airflow's backend assume the reader role. */
export function offKubernetesKwargs(
  environment: string,
  settings: AwsTargetSettings,
): Record<string, unknown> {
  const roleArn = offKubernetesReaderRoleArn(environment, settings);
  // The session name shows in CloudTrail next to every read.
  return roleArn === undefined
    ? {}
    : { role_arn: roleArn, assume_role_kwargs: { RoleSessionName: `airflow-${environment}` } };
}

/**
 * The reader's trust off Kubernetes: exactly the roles Airflow runs as, `sts:AssumeRole` only (no
 * web identity, no session tags, no other principal of their account).
 */
export function airflowRolesTrustPolicy(airflowRoleArns: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AirflowHostRoles",
        Effect: "Allow",
        Principal: { AWS: airflowRoleArns.length === 1 ? airflowRoleArns[0] : [...airflowRoleArns] },
        Action: "sts:AssumeRole",
      },
    ],
  };
}
