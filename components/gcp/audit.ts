import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../airflow";

export const SECRET_MANAGER_SERVICE = "secretmanager.googleapis.com";
/** google.rpc.Code values the alert watches. */
export const PERMISSION_DENIED = 7;
export const NOT_FOUND = 5;

export interface SecretManagerAuditArgs {
  project: string;
  environment: string;
  /** Secret id prefixes of this environment: the sink and the metric only look at these secrets. */
  prefixes: string[];
  /** Where access entries go: a retention-locked bucket or a BigQuery dataset. */
  sink:
    | { type: "bucket"; name: string; location: string; retentionDays: number }
    | { type: "bigquery"; datasetId: string; location: string; retentionDays: number };
  /**
   * Airflow's Google service account email. With per-secret grants, Secret Manager answers Airflow's
   * lookup of an id that does not exist with PERMISSION_DENIED ("or it may not exist"), not NOT_FOUND:
   * Airflow's failed lookups are therefore counted against `notFoundThreshold`, and only other callers'
   * PERMISSION_DENIED alert on the first. Without it, every PERMISSION_DENIED alerts on the first.
   */
  airflowServiceAccountEmail?: pulumi.Input<string>;
  /** Monitoring notification channels for the alert. */
  notificationChannels?: pulumi.Input<string>[];
  /** Alert when NOT_FOUND lookups exceed this count in the window (PERMISSION_DENIED alerts on the first). */
  notFoundThreshold?: number;
  /** Alert window in seconds. Default 300. */
  windowSeconds?: number;
  labels?: Record<string, string>;
  /** Production: the audit bucket or dataset is kept when the stack is destroyed. */
  protect?: boolean;
}

/** Logging-query regex for this environment's secrets (prefixes use only `[A-Za-z0-9_-]`, nothing to escape). */
export function secretNameFilter(prefixes: readonly string[]): string {
  return `protoPayload.resourceName=~"/secrets/(${[...new Set(prefixes)].join("|")})"`;
}

/** The log-based metric's filter: failed Secret Manager calls on this environment's secrets. */
export function deniedAccessFilter(prefixes: readonly string[]): string {
  return [
    `protoPayload.serviceName="${SECRET_MANAGER_SERVICE}"`,
    `(protoPayload.status.code=${PERMISSION_DENIED} OR protoPayload.status.code=${NOT_FOUND})`,
    secretNameFilter(prefixes),
  ].join(" AND ");
}

/**
 * Audit for Secret Manager: Data Access audit logs on (reads are not logged by default), every entry
 * about this environment's secrets routed to a bucket with a retention policy or to BigQuery, and a
 * log-based metric with an alert on denied and not-found accesses (the checklist's "alert on failed
 * secret lookups": a denied read is a misconfiguration or an intrusion, a burst of not-found reads a
 * typo'd conn_id in a DAG).
 */
export class SecretManagerAudit extends pulumi.ComponentResource {
  readonly sink: gcp.logging.ProjectSink;
  readonly metric: gcp.logging.Metric;
  readonly alertPolicy: gcp.monitoring.AlertPolicy;
  /** `gs://bucket` or `bigquery.googleapis.com/projects/P/datasets/D`. */
  readonly destination: pulumi.Output<string>;

  constructor(name: string, args: SecretManagerAuditArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems();
    problems.check(
      args.prefixes.length > 0 && args.prefixes.every((p) => /^[A-Za-z0-9_-]+$/.test(p)),
      "prefixes",
      "must be non-empty secret id prefixes of letters, digits, _ and -",
    );
    problems.check(
      Number.isInteger(args.sink.retentionDays) && args.sink.retentionDays >= 1,
      "sink.retentionDays",
      "must be a whole number of days ≥ 1",
    );
    problems.throwIfAny("SecretManagerAudit");
    super("airflow-secrets:gcp:SecretManagerAudit", name, {}, opts);
    const keep = { protect: args.protect === true, retainOnDelete: args.protect === true };

    // Authoritative for this one service's audit configuration in the project.
    new gcp.projects.IAMAuditConfig(
      `${name}-data-access`,
      {
        project: args.project,
        service: SECRET_MANAGER_SERVICE,
        auditLogConfigs: [{ logType: "ADMIN_READ" }, { logType: "DATA_READ" }, { logType: "DATA_WRITE" }],
      },
      { parent: this },
    );

    const sinkFilter = [
      `protoPayload.serviceName="${SECRET_MANAGER_SERVICE}"`,
      `logName:"cloudaudit.googleapis.com"`,
      secretNameFilter(args.prefixes),
    ].join(" AND ");
    let grantWriter: (writer: pulumi.Output<string>) => void;
    if (args.sink.type === "bucket") {
      const sink = args.sink;
      const retentionSeconds = sink.retentionDays * 86_400;
      const bucket = new gcp.storage.Bucket(
        `${name}-bucket`,
        {
          project: args.project,
          name: sink.name,
          location: sink.location,
          uniformBucketLevelAccess: true,
          publicAccessPrevention: "enforced",
          // Entries cannot be deleted or overwritten before the window ends, then they expire.
          retentionPolicy: { retentionPeriod: String(retentionSeconds) },
          lifecycleRules: [{ action: { type: "Delete" }, condition: { age: sink.retentionDays } }],
          labels: args.labels,
        },
        { parent: this, ...keep },
      );
      this.destination = pulumi.interpolate`storage.googleapis.com/${bucket.name}`;
      grantWriter = (writer) =>
        new gcp.storage.BucketIAMMember(
          `${name}-sink-writer`,
          { bucket: bucket.name, role: "roles/storage.objectCreator", member: writer },
          { parent: this },
        );
    } else {
      const sink = args.sink;
      const dataset = new gcp.bigquery.Dataset(
        `${name}-dataset`,
        {
          project: args.project,
          datasetId: sink.datasetId,
          location: sink.location,
          description: `Secret Manager audit log entries for Airflow ${args.environment}`,
          // The sink writes one partitioned table per log, created once and then appended to for ever:
          // a table expiration would delete that whole table (every entry at once) `retentionDays` after
          // the first entry. Only partitions expire, each `retentionDays` after its day.
          defaultPartitionExpirationMs: sink.retentionDays * 86_400_000,
          labels: args.labels,
        },
        { parent: this, ...keep },
      );
      this.destination = pulumi.interpolate`bigquery.googleapis.com/projects/${args.project}/datasets/${dataset.datasetId}`;
      grantWriter = (writer) =>
        new gcp.bigquery.DatasetIamMember(
          `${name}-sink-writer`,
          {
            project: args.project,
            datasetId: dataset.datasetId,
            role: "roles/bigquery.dataEditor",
            member: writer,
          },
          { parent: this },
        );
    }
    this.sink = new gcp.logging.ProjectSink(
      `${name}-sink`,
      {
        project: args.project,
        name: `airflow-${args.environment}-secret-access`,
        description: `Secret Manager audit entries for Airflow ${args.environment} secrets`,
        destination: this.destination,
        filter: sinkFilter,
        uniqueWriterIdentity: true,
        ...(args.sink.type === "bigquery" ? { bigqueryOptions: { usePartitionedTables: true } } : {}),
      },
      { parent: this },
    );
    grantWriter(this.sink.writerIdentity);

    this.metric = new gcp.logging.Metric(
      `${name}-denied-metric`,
      {
        project: args.project,
        name: `airflow-${args.environment}-secret-access-denied`,
        description: `PERMISSION_DENIED (7) and NOT_FOUND (5) Secret Manager calls on Airflow ${args.environment} secrets`,
        filter: deniedAccessFilter(args.prefixes),
        metricDescriptor: {
          metricKind: "DELTA",
          valueType: "INT64",
          unit: "1",
          labels: [
            { key: "status_code", valueType: "STRING", description: "google.rpc.Code of the failed call" },
            { key: "principal", valueType: "STRING", description: "Caller" },
          ],
        },
        labelExtractors: {
          status_code: "EXTRACT(protoPayload.status.code)",
          principal: "EXTRACT(protoPayload.authenticationInfo.principalEmail)",
        },
      },
      { parent: this },
    );

    const window = `${args.windowSeconds ?? 300}s`;
    const metricType = pulumi.interpolate`metric.type="logging.googleapis.com/user/${this.metric.name}"`;
    const airflow = args.airflowServiceAccountEmail;
    // Airflow asks the backend for every conn_id a DAG uses, declared or not. Its account can read only
    // the declared secrets, so for any other id Secret Manager cannot say "not found" and says
    // PERMISSION_DENIED: those are misses, counted with the not-found ones, not intrusions.
    const deniedFilter =
      airflow === undefined
        ? pulumi.interpolate`${metricType} AND metric.label.status_code="${PERMISSION_DENIED}"`
        : pulumi.interpolate`${metricType} AND metric.label.status_code="${PERMISSION_DENIED}" AND metric.label.principal!="${airflow}"`;
    const missFilter =
      airflow === undefined
        ? pulumi.interpolate`${metricType} AND metric.label.status_code="${NOT_FOUND}"`
        : pulumi.interpolate`${metricType} AND metric.label.principal="${airflow}"`;
    const aggregations = [
      {
        alignmentPeriod: window,
        perSeriesAligner: "ALIGN_DELTA",
        crossSeriesReducer: "REDUCE_SUM",
        groupByFields: ["metric.label.principal"],
      },
    ];
    this.alertPolicy = new gcp.monitoring.AlertPolicy(
      `${name}-denied-alert`,
      {
        project: args.project,
        displayName: `Airflow ${args.environment}: Secret Manager access denied or not found`,
        combiner: "OR",
        severity: "WARNING",
        conditions: [
          {
            displayName:
              airflow === undefined
                ? "Permission denied on an Airflow secret"
                : "Permission denied on an Airflow secret for a caller other than Airflow",
            conditionThreshold: {
              filter: deniedFilter,
              comparison: "COMPARISON_GT",
              thresholdValue: 0,
              duration: "0s",
              aggregations,
              trigger: { count: 1 },
            },
          },
          {
            displayName:
              airflow === undefined
                ? `More than ${args.notFoundThreshold ?? 20} not-found lookups of Airflow secrets in ${window}`
                : `More than ${args.notFoundThreshold ?? 20} failed lookups by Airflow (undeclared ids) in ${window}`,
            conditionThreshold: {
              filter: missFilter,
              comparison: "COMPARISON_GT",
              thresholdValue: args.notFoundThreshold ?? 20,
              duration: "0s",
              aggregations,
              trigger: { count: 1 },
            },
          },
        ],
        notificationChannels: args.notificationChannels,
        alertStrategy: { autoClose: "86400s" },
        documentation: {
          mimeType: "text/markdown",
          content: [
            `Failed Secret Manager calls on Airflow ${args.environment} secrets (grouped by caller).`,
            "",
            "- **PERMISSION_DENIED** (other callers than Airflow): a principal without a grant tried to read or write a secret; treat it as a possible intrusion or a misconfigured tool.",
            '- **Failed lookups by Airflow**: Airflow can read only the declared secrets, so Secret Manager answers a lookup of any other id with PERMISSION_DENIED ("or it may not exist"). A burst is usually a DAG using an undeclared or misspelled conn_id; if the id is declared, its accessor binding was lost.',
            `- Full entries: the \`airflow-${args.environment}-secret-access\` log sink.`,
          ].join("\n"),
        },
        userLabels: args.labels,
      },
      { parent: this },
    );
    this.registerOutputs({
      destination: this.destination,
      metric: this.metric.name,
      alertPolicy: this.alertPolicy.name,
    });
  }
}
