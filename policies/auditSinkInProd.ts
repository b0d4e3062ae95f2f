import type { PolicyResource } from "@pulumi/policy";
import { ENVIRONMENT_CONFIG_SCHEMA } from "./lib/environment";
import { AirflowStackPolicy, productionResources, readConfig } from "./lib/policy";
import { describe, identities, ofType, references } from "./lib/references";
import { UNKNOWN, asArray, isRecord, known, knownOrUndefined } from "./lib/values";

type Store = "aws" | "gcp" | "azure" | "vault" | "kubernetes";

const configSchema = {
  properties: {
    ...ENVIRONMENT_CONFIG_SCHEMA,
    externallyAudited: {
      type: "array" as const,
      items: { type: "string" as const, enum: ["aws", "gcp", "azure", "vault", "kubernetes"] },
      default: [],
      description:
        "Stores whose audit sink is managed outside this stack (an organisation CloudTrail, a shared Vault's audit device, the " +
        "cluster's API audit policy). Each entry should name where the audit lives in the PR.",
    },
  },
};

interface AuditConfig {
  externallyAudited: Store[];
}

type Report = (message: string, urn?: string) => void;

/**
 * "Audit logging enabled in backend (Vault audit / CloudTrail / Cloud Audit / KV diagnostic)":
 * every store this stack writes Airflow secrets to has a sink that records each read.
 */
export const auditSinkInProd: AirflowStackPolicy = {
  name: "audit-sink-in-prod",
  description:
    "A production stack that stores Airflow secrets also has the store's audit sink: CloudTrail, Cloud Audit Logs DATA_READ, Key Vault AuditEvent diagnostics or a Vault audit device.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "AWS: an aws.cloudtrail.Trail with logging on that records read management events (GetSecretValue). GCP: a " +
    "gcp.projects.IAMAuditConfig for secretmanager.googleapis.com (or allServices) with DATA_READ. Azure: an " +
    "azure-native monitor DiagnosticSetting on the vault with the AuditEvent category (or the audit/allLogs group) enabled and a " +
    "destination. Vault: a vault.Audit device. The backends create these in production unless their `audit` setting points at an " +
    "existing sink; when the sink lives in another stack, list the store in this policy's externallyAudited.",
  configSchema,
  resourceTypes: [
    "aws:cloudtrail/trail:Trail",
    "gcp:projects/iAMAuditConfig:IAMAuditConfig",
    "azure-native:monitor:DiagnosticSetting",
    "vault:index/audit:Audit",
    "stores: Secrets Manager, SSM SecureString, Secret Manager, Key Vault, Vault KV, Kubernetes Secret",
  ],
  configExample: { externallyAudited: ["aws"], productionStacks: ["live"] },
  validateStack: (args, reportViolation) => {
    const config = readConfig<AuditConfig>(args, configSchema);
    const resources = args.resources;
    const production = productionResources(args);
    const stores = storesIn(production);
    const skip = new Set(config.externallyAudited);
    if (stores.has("aws") && !skip.has("aws")) checkCloudTrail(resources, reportViolation);
    if (stores.has("gcp") && !skip.has("gcp")) checkGcpAudit(resources, reportViolation);
    if (stores.has("azure") && !skip.has("azure")) checkKeyVaultDiagnostics(resources, reportViolation);
    if (
      stores.has("vault") &&
      !skip.has("vault") &&
      ofType(resources, "vault:index/audit:Audit").length === 0
    ) {
      reportViolation("Airflow secrets are stored in Vault but the stack enables no vault.Audit device.");
    }
    if (stores.has("kubernetes") && !skip.has("kubernetes")) {
      for (const secret of airflowKubernetesSecrets(production)) {
        reportViolation(
          `${describe(secret)} holds Airflow secrets in a Kubernetes Secret: reads are audited only by the cluster's API audit ` +
            'policy, which this stack does not manage. Use a secrets backend (vault, aws, gcp, azure) in production, or list "kubernetes" ' +
            "in externallyAudited if the cluster logs Secret reads.",
          secret.urn,
        );
      }
    }
  },
};

const AIRFLOW_ENV_KEY = /^AIRFLOW(_CONN_|_VAR_|__)/;

/** Kubernetes Secrets whose keys are Airflow connections, variables or config (the env backend). */
function airflowKubernetesSecrets(resources: PolicyResource[]): PolicyResource[] {
  return ofType(resources, "kubernetes:core/v1:Secret").filter((secret) =>
    ["stringData", "data"].some((key) => {
      const data = knownOrUndefined(() => secret.props[key]);
      return isRecord(data) && Object.keys(data).some((k) => AIRFLOW_ENV_KEY.test(k));
    }),
  );
}

function storesIn(resources: PolicyResource[]): Set<Store> {
  const stores = new Set<Store>();
  for (const r of resources) {
    if (r.type === "aws:secretsmanager/secret:Secret") stores.add("aws");
    if (r.type === "aws:ssm/parameter:Parameter" && knownOrUndefined(() => r.props.type) === "SecureString")
      stores.add("aws");
    if (
      r.type === "gcp:secretmanager/secret:Secret" ||
      r.type === "gcp:secretmanager/regionalSecret:RegionalSecret"
    )
      stores.add("gcp");
    if (r.type === "azure-native:keyvault:Vault") stores.add("azure");
    if (
      ["vault:kv/secretV2:SecretV2", "vault:kv/secret:Secret", "vault:generic/secret:Secret"].includes(r.type)
    )
      stores.add("vault");
  }
  if (airflowKubernetesSecrets(resources).length > 0) stores.add("kubernetes");
  return stores;
}

function checkCloudTrail(resources: PolicyResource[], report: Report): void {
  const trails = ofType(resources, "aws:cloudtrail/trail:Trail");
  const recording = trails.filter((trail) => knownOrUndefined(() => trail.props.enableLogging) !== false);
  if (recording.length === 0) {
    report(
      "Airflow secrets are stored in AWS but no CloudTrail trail with logging on records GetSecretValue.",
    );
    return;
  }
  if (!recording.some(recordsReads)) {
    report(
      `${recording.map(describe).join(", ")} record no read management events: GetSecretValue calls would go unlogged.`,
      recording[0].urn,
    );
  }
}

/** Whether a trail records read-only management events, which is where GetSecretValue/GetParameter land. */
function recordsReads(trail: PolicyResource): boolean {
  const advanced = knownOrUndefined(() => asArray(trail.props.advancedEventSelectors as unknown[])) ?? [];
  if (advanced.length > 0) {
    return advanced.filter(isRecord).some((selector) => {
      const fields = asArray(selector.fieldSelectors as unknown[]).filter(isRecord);
      const field = (name: string) => fields.find((f) => f.field === name);
      const category = field("eventCategory");
      const readOnly = field("readOnly");
      return (
        asArray(category?.equals as string[] | undefined).includes("Management") &&
        !asArray(readOnly?.equals as string[] | undefined).includes("false")
      );
    });
  }
  const selectors = knownOrUndefined(() => asArray(trail.props.eventSelectors as unknown[])) ?? [];
  if (selectors.length === 0) return true; // CloudTrail's default: all management events, read and write.
  return selectors
    .filter(isRecord)
    .some(
      (s) =>
        s.includeManagementEvents !== false &&
        ["All", "ReadOnly", undefined].includes(s.readWriteType as string | undefined),
    );
}

function checkGcpAudit(resources: PolicyResource[], report: Report): void {
  const configs = ofType(
    resources,
    "gcp:projects/iAMAuditConfig:IAMAuditConfig",
    "gcp:organizations/iamAuditConfig:IamAuditConfig",
    "gcp:folder/iamAuditConfig:IamAuditConfig",
  );
  const covered = configs.some((config) => {
    const service = knownOrUndefined(() => config.props.service);
    const logs = knownOrUndefined(() => asArray(config.props.auditLogConfigs as unknown[])) ?? [];
    return (
      (service === "secretmanager.googleapis.com" || service === "allServices") &&
      logs.filter(isRecord).some((l) => l.logType === "DATA_READ")
    );
  });
  if (!covered) {
    report(
      "Airflow secrets are stored in GCP Secret Manager but no IAMAuditConfig enables DATA_READ logs for secretmanager.googleapis.com: " +
        "secret accesses are not logged by default.",
    );
  }
}

function checkKeyVaultDiagnostics(resources: PolicyResource[], report: Report): void {
  const settings = ofType(resources, "azure-native:monitor:DiagnosticSetting");
  for (const vault of ofType(resources, "azure-native:keyvault:Vault")) {
    const vaultName =
      knownOrUndefined(() => vault.props.vaultName) ?? knownOrUndefined(() => vault.props.name);
    const onVault = settings.filter((setting) => {
      if (references(setting, "resourceUri", vault)) return true;
      const uri = knownOrUndefined(() => setting.props.resourceUri);
      return (
        typeof uri === "string" &&
        (identities(vault).includes(uri) ||
          (typeof vaultName === "string" && uri.toLowerCase().endsWith(`/vaults/${vaultName.toLowerCase()}`)))
      );
    });
    const auditing = onVault.some((setting) => {
      const logs = knownOrUndefined(() => asArray(setting.props.logs as unknown[])) ?? [];
      const destination = ["workspaceId", "storageAccountId", "eventHubAuthorizationRuleId"].some((key) => {
        const value = known(() => setting.props[key]);
        return value === UNKNOWN || (typeof value === "string" && value !== "");
      });
      const audited = logs
        .filter(isRecord)
        .some(
          (l) =>
            l.enabled !== false &&
            (l.category === "AuditEvent" || ["audit", "allLogs"].includes(String(l.categoryGroup))),
        );
      return destination && audited;
    });
    if (!auditing) {
      report(
        `${describe(vault)} has no diagnostic setting sending AuditEvent logs to a workspace, storage account or event hub.`,
        vault.urn,
      );
    }
  }
}
