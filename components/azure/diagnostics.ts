import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { Problems, validateOrThrow } from "../airflow";
import { checkArmId, checkResourceGroupName } from "./naming";
import { checkRetentionDays } from "./settings";

export interface KeyVaultDiagnosticsArgs {
  environment: string;
  vault: { id: pulumi.Input<string>; name: string };
  resourceGroupName: string;
  location: string;
  /** Bring your own Log Analytics workspace by resource id; otherwise one is created. */
  existing?: { workspaceId: string };
  /** Retention of a created workspace, 30-730 days. Default 90. Not with `existing`. */
  retentionDays?: number;
  /** Action group the failed-read alert notifies. */
  actionGroupId?: string;
  /** Failed secret reads tolerated per 5-minute window. Default 0. */
  failedReadThreshold?: number;
  /**
   * The blob service holding the rotator's journals (`KeyVaultRotation.blobServiceId`): its reads,
   * writes and deletes go to the same workspace, so every access to a pending credential is audited
   * like an access to the vault.
   */
  journals?: { blobServiceId: pulumi.Input<string> };
  tags?: Record<string, string>;
}

/** The blob service's log categories: every read, write and delete, with caller. */
export const BLOB_AUDIT_CATEGORIES = ["StorageRead", "StorageWrite", "StorageDelete"] as const;

export function validateKeyVaultDiagnosticsArgs(args: KeyVaultDiagnosticsArgs, problems: Problems): void {
  checkResourceGroupName(args.resourceGroupName, "resourceGroupName", problems);
  if (args.existing !== undefined)
    checkArmId(
      args.existing.workspaceId,
      "Microsoft.OperationalInsights/workspaces",
      "existing.workspaceId",
      problems,
    );
  problems.check(
    args.existing === undefined || args.retentionDays === undefined,
    "retentionDays",
    "shapes a workspace this component creates, and existing brings your own; remove one of the two",
  );
  if (args.retentionDays !== undefined) checkRetentionDays(args.retentionDays, "retentionDays", problems);
  if (args.actionGroupId !== undefined)
    checkArmId(args.actionGroupId, "Microsoft.Insights/actionGroups", "actionGroupId", problems);
  if (args.failedReadThreshold !== undefined) {
    problems.check(
      Number.isInteger(args.failedReadThreshold) && args.failedReadThreshold >= 0,
      "failedReadThreshold",
      "must be a whole number ≥ 0",
    );
  }
}

/**
 * KQL for failed secret reads of one vault in the AzureDiagnostics table (where Key Vault's
 * AuditEvent category lands by default). `_ResourceId` is compared case-insensitively (`=~`): ARM
 * ids are case-insensitive and Log Analytics stores them in its own case.
 */
export function failedSecretReadsQuery(vaultId: string): string {
  return [
    "AzureDiagnostics",
    '| where ResourceProvider == "MICROSOFT.KEYVAULT" and OperationName == "SecretGet" and httpStatusCode_d >= 400',
    `| where _ResourceId =~ "${vaultId.replace(/["\\]/g, "")}"`,
    "| summarize failures = count() by requestUri_s, httpStatusCode_d",
  ].join("\n");
}

/**
 * The vault's audit trail and the alert on failed lookups: a diagnostic setting sends the `audit`
 * category group (AuditEvent: every secret read and write, with caller) and all metrics to Log
 * Analytics; a scheduled query alert fires when secret reads fail (403 from a missing role, 404
 * from a wrong name), which is what a broken Airflow lookup looks like from the vault's side.
 */
export class KeyVaultDiagnostics extends pulumi.ComponentResource {
  readonly workspaceId: pulumi.Output<string>;
  readonly workspace?: operationalinsights.Workspace;
  readonly diagnosticSetting: monitor.DiagnosticSetting;
  /** The rotator's journal storage audit, when `journals` is given. */
  readonly journalDiagnosticSetting?: monitor.DiagnosticSetting;
  readonly failedReadAlert: monitor.ScheduledQueryRule;

  constructor(name: string, args: KeyVaultDiagnosticsArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrThrow("KeyVaultDiagnostics", (problems) => validateKeyVaultDiagnosticsArgs(args, problems));
    super("airflow-secrets:azure:KeyVaultDiagnostics", name, {}, opts);

    if (args.existing !== undefined) {
      this.workspaceId = pulumi.output(args.existing.workspaceId);
    } else {
      this.workspace = new operationalinsights.Workspace(
        `${name}-workspace`,
        {
          workspaceName: `log-airflow-secrets-${args.environment}`,
          resourceGroupName: args.resourceGroupName,
          location: args.location,
          sku: { name: "PerGB2018" },
          retentionInDays: args.retentionDays ?? 90,
          tags: args.tags,
        },
        { parent: this },
      );
      this.workspaceId = this.workspace.id;
    }

    this.diagnosticSetting = new monitor.DiagnosticSetting(
      `${name}-audit`,
      {
        name: "airflow-secrets-audit",
        resourceUri: args.vault.id,
        workspaceId: this.workspaceId,
        logs: [{ categoryGroup: "audit", enabled: true }],
        metrics: [{ category: "AllMetrics", enabled: true }],
      },
      { parent: this },
    );
    if (args.journals !== undefined) {
      this.journalDiagnosticSetting = new monitor.DiagnosticSetting(
        `${name}-journal-audit`,
        {
          name: "airflow-secrets-journal-audit",
          resourceUri: args.journals.blobServiceId,
          workspaceId: this.workspaceId,
          logs: BLOB_AUDIT_CATEGORIES.map((category) => ({ category, enabled: true })),
        },
        { parent: this },
      );
    }

    this.failedReadAlert = new monitor.ScheduledQueryRule(
      `${name}-failed-reads`,
      {
        ruleName: `airflow-secrets-${args.environment}-failed-secret-reads`,
        displayName: `Airflow ${args.environment}: failed secret reads on ${args.vault.name}`,
        description:
          "Secret reads answered with 4xx/5xx: a missing role assignment, a wrong name or a network rule. Airflow tasks that use the secret fail.",
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        kind: "LogAlert",
        enabled: true,
        severity: 2,
        scopes: [this.workspaceId],
        evaluationFrequency: "PT5M",
        windowSize: "PT5M",
        autoMitigate: true,
        // Azure validates the query against the workspace's schema at creation, and AzureDiagnostics
        // (with Key Vault's columns) only exists once the first audit event has arrived: on a new
        // workspace, or one no vault has logged to yet, creation would fail with "Failed to resolve
        // table or column expression named 'AzureDiagnostics'". The query is checked by tests here.
        skipQueryValidation: true,
        criteria: {
          allOf: [
            {
              query: pulumi.output(args.vault.id).apply(failedSecretReadsQuery),
              timeAggregation: "Total",
              metricMeasureColumn: "failures",
              operator: "GreaterThan",
              threshold: args.failedReadThreshold ?? 0,
              failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
            },
          ],
        },
        actions: args.actionGroupId ? { actionGroups: [args.actionGroupId] } : undefined,
        tags: args.tags,
      },
      // The diagnostic setting must exist first, or the query has no table to read on first evaluation.
      { parent: this, dependsOn: [this.diagnosticSetting] },
    );
    this.registerOutputs({ workspaceId: this.workspaceId });
  }
}
