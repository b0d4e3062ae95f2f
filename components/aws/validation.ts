/**
 * Rules for AWS identifiers and the AWS-specific knobs every AWS component shares. Each check adds
 * `{path, rule}` problems and never throws, so a stack file's mistakes are all reported in one run
 * before anything is registered.
 */
import { X509Certificate } from "crypto";
import { Problems } from "../airflow";

/** Commercial, GovCloud, China and ISO regions: `us-east-1`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`. */
export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const PARTITION = "aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f)?";

/** The partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, `aws-iso-b`, …). */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  const special = /^[a-z]{2}-(gov|iso[a-z]?)-/.exec(region)?.[1];
  if (special === undefined) return "aws";
  if (special === "gov") return "aws-us-gov";
  return special === "iso" ? "aws-iso" : `aws-iso-${special.slice(3)}`;
}
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
export const ROLE_ARN_PATTERN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$`);
export const KMS_KEY_ARN_PATTERN = new RegExp(
  `^arn:${PARTITION}:kms:([a-z0-9-]+):(\\d{12}):key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$`,
);
export const OIDC_PROVIDER_ARN_PATTERN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:oidc-provider/(.+)$`);
export const SNS_TOPIC_ARN_PATTERN = new RegExp(
  `^arn:${PARTITION}:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}$`,
);
/** An issuer as IAM writes it in condition keys: host and path, no scheme, no trailing slash. */
export const OIDC_ISSUER_PATTERN =
  /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(\/[A-Za-z0-9._~-]+)*$/;
/** Kubernetes namespace and service account names (DNS-1123 labels / subdomains). */
export const K8S_NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const K8S_SERVICE_ACCOUNT_PATTERN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
export const SUBNET_ID_PATTERN = /^subnet-[0-9a-f]{8,17}$/;
export const SECURITY_GROUP_ID_PATTERN = /^sg-[0-9a-f]{8,17}$/;
export const VPC_ID_PATTERN = /^vpc-[0-9a-f]{8,17}$/;
export const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** `owner/name` as GitHub spells repositories. */
export const GITHUB_REPOSITORY_PATTERN = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export function isString(value: unknown): value is string {
  return typeof value === "string";
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The contract's unknown-key check, so every backend words a typo the same way. */
export { checkKnownKeys } from "../airflow";

export function checkRegion(region: unknown, path: string, problems: Problems): region is string {
  return problems.check(
    isString(region) && REGION_PATTERN.test(region),
    path,
    'must be an AWS region such as "eu-west-1"',
  );
}

/** Replica regions: valid, not the primary region, each once. */
export function checkReplicaRegions(
  replicas: unknown,
  primary: string | undefined,
  path: string,
  problems: Problems,
): void {
  if (replicas === undefined) return;
  if (!problems.check(Array.isArray(replicas), path, "must be a list of AWS regions")) return;
  const seen = new Set<string>();
  (replicas as unknown[]).forEach((region, i) => {
    if (!checkRegion(region, `${path}[${i}]`, problems)) return;
    problems.check(
      region !== primary,
      `${path}[${i}]`,
      "is the primary region; a replica must live in another region",
    );
    problems.check(!seen.has(region), `${path}[${i}]`, "repeats an earlier region");
    seen.add(region);
  });
}

/**
 * Secrets Manager's recovery window: 7–30 days, or 0 (immediate, unrecoverable deletion), which
 * only a non-production environment may use.
 */
export function checkRecoveryWindow(
  days: unknown,
  production: boolean,
  path: string,
  problems: Problems,
): void {
  if (days === undefined) return;
  const whole = typeof days === "number" && Number.isInteger(days);
  if (whole && days === 0) {
    problems.check(
      !production,
      path,
      "0 (delete without recovery) is not allowed in production; use 7 to 30 days",
    );
    return;
  }
  problems.check(
    whole && days >= 7 && days <= 30,
    path,
    `must be a whole number of days from 7 to 30${production ? "" : ", or 0 to delete without recovery"}`,
  );
}

export function checkKmsKeyDeletionWindow(days: unknown, path: string, problems: Problems): void {
  if (days === undefined) return;
  problems.check(
    typeof days === "number" && Number.isInteger(days) && days >= 7 && days <= 30,
    path,
    "must be a whole number of days from 7 to 30",
  );
}

export function checkRoleArn(arn: unknown, path: string, problems: Problems): boolean {
  return problems.check(
    isString(arn) && ROLE_ARN_PATTERN.test(arn),
    path,
    'must be an IAM role ARN such as "arn:aws:iam::123456789012:role/name"',
  );
}

export function checkRoleArnList(
  list: unknown,
  path: string,
  problems: Problems,
  required: string | undefined,
): void {
  if (list === undefined || (Array.isArray(list) && list.length === 0)) {
    if (required !== undefined) problems.add(path, required);
    return;
  }
  if (!problems.check(Array.isArray(list), path, "must be a list of IAM role ARNs")) return;
  (list as unknown[]).forEach((arn, i) => checkRoleArn(arn, `${path}[${i}]`, problems));
  problems.check(
    new Set(list as unknown[]).size === (list as unknown[]).length,
    path,
    "must not list a role twice",
  );
}

/** A KMS key ARN (not an alias or bare id: key policies and IAM resources need the ARN), in `region`. */
export function checkKmsKeyArn(
  arn: unknown,
  region: string | undefined,
  path: string,
  problems: Problems,
): void {
  const match = isString(arn) ? KMS_KEY_ARN_PATTERN.exec(arn) : null;
  if (
    !problems.check(
      match !== null,
      path,
      'must be a KMS key ARN such as "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"',
    )
  )
    return;
  if (region !== undefined) {
    problems.check(
      match![2] === region,
      path,
      `the key is in ${match![2]}, but the secrets are in ${region}; KMS keys are regional`,
    );
  }
}

/** The cluster's IAM OIDC provider and its issuer, which IRSA trust conditions are keyed by. */
export function checkOidc(
  providerArn: unknown,
  issuer: unknown,
  paths: { providerArn: string; issuer: string },
  problems: Problems,
): void {
  const issuerOk =
    problems.check(
      issuer !== undefined && issuer !== "",
      paths.issuer,
      'is required: the cluster\'s OIDC issuer without scheme, e.g. "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF" (aws eks describe-cluster --query cluster.identity.oidc.issuer)',
    ) &&
    problems.check(
      isString(issuer) && !/^[a-z]+:\/\//i.test(issuer),
      paths.issuer,
      'must not include the scheme: IAM condition keys use "oidc.eks.<region>.amazonaws.com/id/<ID>"',
    ) &&
    problems.check(
      OIDC_ISSUER_PATTERN.test(issuer as string),
      paths.issuer,
      "must be a host name with an optional path and no trailing slash",
    );
  if (
    !problems.check(
      providerArn !== undefined && providerArn !== "",
      paths.providerArn,
      'is required: the IAM OIDC provider of the cluster, "arn:aws:iam::<account>:oidc-provider/<issuer>"',
    )
  )
    return;
  const match = isString(providerArn) ? OIDC_PROVIDER_ARN_PATTERN.exec(providerArn) : null;
  if (
    !problems.check(
      match !== null,
      paths.providerArn,
      'must be an IAM OIDC provider ARN, "arn:aws:iam::<account>:oidc-provider/<issuer>"',
    )
  )
    return;
  const tail = match![match!.length - 1];
  if (issuerOk) {
    problems.check(
      tail === issuer,
      paths.providerArn,
      `names another issuer than ${paths.issuer}; they must be the same provider`,
    );
  }
}

export function checkNamespace(namespace: unknown, path: string, problems: Problems): void {
  problems.check(
    isString(namespace) && K8S_NAMESPACE_PATTERN.test(namespace),
    path,
    "must be a Kubernetes namespace: lowercase letters, digits and -, at most 63, starting and ending alphanumeric",
  );
}

export function checkServiceAccount(name: unknown, path: string, problems: Problems): void {
  problems.check(
    isString(name) && K8S_SERVICE_ACCOUNT_PATTERN.test(name),
    path,
    "must be a Kubernetes service account name: lowercase letters, digits, - and .",
  );
}

export function checkLogRetention(
  days: unknown,
  minimum: number | undefined,
  path: string,
  problems: Problems,
): void {
  if (days === undefined) return;
  if (
    !problems.check(
      (LOG_RETENTION_DAYS as readonly unknown[]).includes(days),
      path,
      `must be one of CloudWatch Logs' retention periods (${LOG_RETENTION_DAYS.join(", ")})`,
    )
  )
    return;
  if (minimum !== undefined) {
    problems.check((days as number) >= minimum, path, `must be at least ${minimum} days in production`);
  }
}

export function checkIdList(
  list: unknown,
  pattern: RegExp,
  example: string,
  path: string,
  problems: Problems,
): void {
  if (
    !problems.check(
      Array.isArray(list) && list.length > 0,
      path,
      `must be a non-empty list of ids like "${example}"`,
    )
  )
    return;
  (list as unknown[]).forEach((id, i) =>
    problems.check(isString(id) && pattern.test(id), `${path}[${i}]`, `must be an id like "${example}"`),
  );
}

/**
 * The characters every AWS service used here accepts in tags (the strictest of them, e.g. IAM and
 * CloudTrail): Unicode letters, digits, spaces and `_ . : / = + - @`. A quote or a newline would
 * only fail at AWS, halfway through a deployment.
 */
export const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
export const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @";

/** Tag keys and values as AWS accepts them on every taggable resource used here; values never quoted. */
export function checkTags(tags: unknown, path: string, problems: Problems): void {
  if (tags === undefined || tags === null) return;
  if (!problems.check(isPlainObject(tags), path, "must be a map of tag keys to values")) return;
  for (const [key, value] of Object.entries(tags as Record<string, unknown>)) {
    // A key that breaks the rule is not repeated in the path either: it may be what was mistyped.
    const keyOk = problems.check(
      TAG_KEY_PATTERN.test(key) && !/^aws:/i.test(key),
      path,
      `a tag key breaks AWS's rule: 1-128 characters of ${TAG_CHARACTERS}, not starting with "aws:"`,
    );
    if (!keyOk) continue;
    problems.check(
      isString(value) && TAG_VALUE_PATTERN.test(value),
      `${path}.${key}`,
      `tag values are at most 256 characters of ${TAG_CHARACTERS}`,
    );
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * CA certificates for a function's trust store (`NODE_EXTRA_CA_CERTS`): one or more PEM certificates
 * that parse, and no private key (the text is shipped in the function's code archive). Node.js only
 * warns at start-up about a file it cannot read, so a bad bundle would surface as failed TLS later.
 */
export function checkCaCertificates(pem: unknown, path: string, problems: Problems): void {
  if (pem === undefined) return;
  if (!isString(pem)) {
    problems.add(path, "must be PEM text holding one or more certificates");
    return;
  }
  problems.check(
    !/PRIVATE KEY-----/.test(pem),
    path,
    "must not contain a private key: only CA certificates belong here (the text is shipped in the function's code)",
  );
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (
    !problems.check(
      blocks.length > 0,
      path,
      'must hold one or more PEM certificates ("-----BEGIN CERTIFICATE-----" … "-----END CERTIFICATE-----")',
    )
  )
    return;
  blocks.forEach((block, i) => {
    let valid = true;
    try {
      new X509Certificate(block);
    } catch {
      valid = false;
    }
    problems.check(valid, path, `certificate ${i + 1} of ${blocks.length} is not a valid X.509 certificate`);
  });
}
