import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PlannedSecret } from "../airflow";
import { standardLabels } from "../core/labels";
import { resourceNameFragment } from "../core/naming";
import { AwsAccountContext } from "./policies";

/** The deploying account, partition and DNS suffix, read once through the provider's data sources. */
export function awsAccountContext(opts?: pulumi.InvokeOutputOptions): pulumi.Output<AwsAccountContext> {
  const identity = aws.getCallerIdentityOutput({}, opts);
  const partition = aws.getPartitionOutput({}, opts);
  return pulumi
    .all([identity.accountId, partition.partition, partition.dnsSuffix])
    .apply(([accountId, partitionName, dnsSuffix]) => ({
      accountId,
      partition: partitionName,
      dnsSuffix,
    }));
}

/** What either store (Secrets Manager or Parameter Store) takes: the planned secrets and where they go. */
export interface AwsStoreArgs {
  /** Environment name, tagged on every secret. */
  environment: string;
  /** Production: critical secrets are protected and retained. */
  production?: boolean;
  owner?: string;
  /** Region of the (primary) store. */
  region: string;
  /** What to store: names and values straight from the contract's `planSecrets` (the store's profile). */
  secrets: readonly PlannedSecret[];
  /** Customer-managed key encrypting every value (in the primary region). */
  kmsKeyArn: pulumi.Input<string>;
  /** Secrets whose loss is unrecoverable (the Fernet key): protected and retained in production. */
  criticalSecretNames?: string[];
  tags?: Record<string, string>;
}

/**
 * Tags on every taggable resource: who owns it, which environment, and that this library manages it,
 * with the one environment key every cloud shares (`core/labels.ts`).
 */
export function standardTags(
  environment: string,
  owner: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return standardLabels(environment, owner, extra);
}

/** A stable Pulumi resource-name fragment for an Airflow id; `_` stays, another would rename resources. */
export const idSlug = (id: string): string => resourceNameFragment(id, "_");

/** A CloudWatch alarm that fires on the first event in a 5-minute period; no data means nothing happened. */
export const ALARM_ON_FIRST_OCCURRENCE = {
  statistic: "Sum",
  period: 300,
  evaluationPeriods: 1,
  threshold: 1,
  comparisonOperator: "GreaterThanOrEqualToThreshold",
  treatMissingData: "notBreaching",
} as const;
