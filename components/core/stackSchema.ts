/**
 * The shape of a stack file's `airflow-secrets:` keys other than the backend's own settings: the
 * top-level keys and the declarations (connections, variables, config). Shape only: Airflow's rules
 * for ids, types and names stay in `components/airflow/validate.ts`, which runs on what this parses.
 */
import { z } from "zod";
import { ENVIRONMENT_PATTERN } from "../airflow/validate";
import { booleanSetting, freeFormMap, secretString } from "./schema";
import { BACKEND_NAMES } from "../registry";
import { ROTATION_STRATEGIES } from "../rotation/strategy";
import { mirrorSettingsSchema } from "./mirrorSchema";

export const CONFIG_NAMESPACE = "airflow-secrets";

/** The backends a stack may select, in the order the README lists them: the registry's table. */
export { BACKEND_NAMES, type BackendName } from "../registry";

import { KUBERNETES_NAME as K8S_NAME } from "./kubernetesNames";

/** Secret names are DNS subdomains: lowercase alphanumerics, `-` and `.`, at most 253. */
const K8S_SECRET_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const rotationDeclarationSchema = z
  .strictObject({
    strategy: z
      .enum(ROTATION_STRATEGIES)
      .describe(
        "`single-user` changes its own password; `alternating-users` flips between `login` and `login_clone` (needs `masterConnId`).",
      ),
    everyDays: z
      .int()
      .min(1)
      .describe("Days between rotations; production allows at most 90 for database passwords."),
    masterConnId: z
      .string()
      .optional()
      .describe("conn_id of the connection holding the master credential; required for `alternating-users`."),
  })
  .describe("How the password is rotated, by the backends that rotate (AWS, GCP, Azure).");

export const connectionDeclarationSchema = z.strictObject({
  conn_id: z
    .string()
    .describe("Airflow's conn_id, further limited by the backend's naming rule. Never `secure:`."),
  conn_type: z
    .string()
    .describe("Connection type (`postgres`, `http`, …); Airflow 3 workers refuse a connection without one."),
  description: z.string().optional().describe("Free text; dropped by URI connections and the AWS backend."),
  host: z.string().optional().describe("Host name."),
  port: z.int().optional().describe("1–65535. Never `secure:` (it is checked before deployment)."),
  schema: z.string().optional().describe("Airflow's `schema` (for databases, the database name)."),
  login: z.string().optional().describe("Login."),
  password: secretString(
    "The password: `secure:` in production files. Always stored as a secret.",
  ).optional(),
  extra: freeFormMap(
    "Provider-specific extras (a map). Entries named like credentials (password, secret, token, auth, API/private key…) at any depth are `secure:` in production files. Always stored as a secret.",
  ).optional(),
  rotation: rotationDeclarationSchema.optional(),
  critical: booleanSetting()
    .optional()
    .describe(
      "In the emergency subset: exported in the `airflow connections import` file kept for when every backend is down. Never part of the stored value.",
    ),
});

export const variableDeclarationSchema = z.strictObject({
  key: z.string().describe("Variable key. Never `secure:`."),
  value: z.string().describe("The value (may be `secure:`); always stored as a secret."),
  description: z.string().optional().describe("Free text."),
});

export const configDeclarationSchema = z.strictObject({
  section: z.string().describe("Airflow config section, e.g. `core`."),
  option: z.string().describe("A sensitive option of that section, e.g. `fernet_key`."),
  key: z.string().optional().describe("The id looked up in the backend; default the option name."),
  value: secretString("The option's value: `secure:` in production files."),
});

export const airflowSettingsSchema = z
  .strictObject({
    version: z
      .string()
      .describe(
        'Airflow version, `major.minor[.patch]`, quoted: `"2.10"` (YAML reads 2.10 unquoted as 2.1).',
      ),
    cache: z
      .strictObject({
        enabled: booleanSetting().describe("`[secrets] use_cache` (Airflow 2.7+)."),
        ttlSeconds: z.int().min(1).max(86400).optional().describe("`cache_ttl_seconds`, 1–86400."),
      })
      .optional()
      .describe("The secrets cache. Default in production: enabled, 600 s; elsewhere off."),
    connectionFormat: z
      .enum(["json", "uri"])
      .optional()
      .describe("Stored connection form; default `json` from Airflow 2.3, `uri` before."),
    longestTaskHours: z
      .int()
      .min(1)
      .max(720)
      .optional()
      .describe(
        "The longest a task runs, in hours (default 24): alternating-users rotation must keep the previous login valid that long beyond the cache TTL.",
      ),
  })
  .describe("The Airflow deployment that reads the secrets.");

const serviceAccountName = (description: string) =>
  z
    .string()
    .regex(K8S_NAME, "must be a Kubernetes name: lowercase letters, digits and -, at most 63")
    .optional()
    .describe(description);

/** One service account per component, keyed as the official chart's values name them. */
export const componentServiceAccountsSchema = z
  .strictObject({
    scheduler: serviceAccountName("The scheduler's."),
    workers: serviceAccountName(
      "Celery workers' and KubernetesExecutor task pods' (the chart's `workers.serviceAccount`).",
    ),
    triggerer: serviceAccountName("The triggerer's."),
    dagProcessor: serviceAccountName("The DAG processor's."),
    apiServer: serviceAccountName("The API server's (Airflow 3)."),
    webserver: serviceAccountName("The webserver's (Airflow 2)."),
    migrateDatabaseJob: serviceAccountName(
      "The `airflow db migrate` Job's (migrations may use the Fernet key, DAG re-serialisation may read Variables).",
    ),
  })
  .describe("A service account per Airflow component; a component not listed runs as `serviceAccount`.");

export const kubernetesSettingsSchema = z
  .strictObject({
    namespace: z
      .string()
      .regex(K8S_NAME, "must be a Kubernetes namespace name: lowercase letters, digits and -, at most 63")
      .describe("Namespace Airflow runs in."),
    serviceAccount: serviceAccountName(
      "The service account of every component not named in `serviceAccounts`. Default `airflow`.",
    ),
    serviceAccounts: componentServiceAccountsSchema.optional(),
    chartRelease: z
      .string()
      .max(53, "must be a Helm release name: at most 53 characters")
      .regex(K8S_NAME, "must be a Helm release name: lowercase letters, digits and -")
      .optional()
      .describe(
        "Name each component's service account as the chart does for this Helm release (`<release>-scheduler`, `<release>-worker`…; `<release>-airflow-…` when the name lacks `airflow`). Not with `serviceAccount`/`serviceAccounts`.",
      ),
  })
  // One form names each component's account: refused together rather than one silently winning.
  .superRefine((value, ctx) => {
    if (value.chartRelease === undefined) return;
    for (const other of ["serviceAccount", "serviceAccounts"] as const)
      if (value[other] !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [other],
          message: `cannot be combined with chartRelease, which names every component's service account: keep one of the two`,
        });
  })
  .describe(
    "Where Airflow runs and the service accounts its components run as. Default `{namespace: airflow, serviceAccount: airflow}`.",
  );

/**
 * `kubernetes:` in a stack file: the cluster settings above, or `false` when Airflow runs off
 * Kubernetes (MWAA, Astronomer, Cloud Composer): no Kubernetes resource is built and the reader
 * identity is bound to the principal the backend's settings name.
 */
export const kubernetesTargetSchema = z
  .union(
    [
      z
        .literal(false)
        .describe(
          "Airflow runs off Kubernetes (MWAA, Astronomer, Cloud Composer): only its configuration and the reader identity are built.",
        ),
      kubernetesSettingsSchema,
    ],
    { error: "must be a map of Kubernetes settings, or false when Airflow runs off Kubernetes" },
  )
  .describe(
    "Where Airflow runs: a Kubernetes namespace and service accounts, or `false` off Kubernetes (MWAA, Astronomer, Cloud Composer). Default `{namespace: airflow, serviceAccount: airflow}`.",
  );

export const fernetSettingsSchema = z
  .strictObject({
    generations: z
      .array(z.string())
      .min(1)
      .describe("Key generations, oldest first; appending one starts a rotation."),
    rotationInProgress: booleanSetting()
      .optional()
      .describe("While true Airflow gets `newest,previous`, so values under the previous key still decrypt."),
    reencryptJob: z
      .strictObject({
        image: z
          .string()
          .min(1)
          .describe("Airflow's image, the one your deployment runs (e.g. `apache/airflow:3.1.5`)."),
        metadataSecret: z
          .strictObject({
            name: z
              .string()
              .regex(K8S_SECRET_NAME, "must be a Kubernetes Secret name")
              .describe("The Helm chart's `<release>-metadata`."),
            key: z.string().min(1).optional().describe("Default `connection`, the chart's key."),
          })
          .describe("The Secret holding the metadata database URL."),
      })
      .optional()
      .describe(
        "While `rotationInProgress`, a Kubernetes Job runs `airflow rotate-fernet-key` as Airflow's service account; `pulumi up` waits for it.",
      ),
  })
  .describe("Generate Airflow's Fernet key and store it as config `core.fernet_key`.");

/**
 * The keys under `airflow-secrets:` besides the backend's block. Strict: the backend blocks are
 * added by `stackSettingsSchema` for the selected backend only.
 */
export const topLevelShape = {
  environment: z
    .string()
    .regex(ENVIRONMENT_PATTERN, "must be 1-20 lowercase letters, digits or -, starting with a letter")
    .describe("`dev`, `staging`, `prod`… (used in every path and name)."),
  production: booleanSetting()
    .optional()
    .describe(
      "Stricter defaults and checks. Default: `environment` is `prod`. `true`/`false`, quoted or not.",
    ),
  owner: z.string().optional().describe("Owning team, tagged on resources."),
  backend: z.enum(BACKEND_NAMES).describe("Which store Airflow reads."),
  airflow: airflowSettingsSchema.optional(),
  kubernetes: kubernetesTargetSchema.optional(),
  fernet: fernetSettingsSchema.optional(),
  mirror: mirrorSettingsSchema.optional(),
  connections: z.array(connectionDeclarationSchema).optional().describe("Airflow connections."),
  variables: z.array(variableDeclarationSchema).optional().describe("Airflow Variables."),
  config: z
    .array(configDeclarationSchema)
    .optional()
    .describe("Sensitive Airflow options read through `{option}_secret`."),
};

export const topLevelSchema = z.strictObject(topLevelShape);

export type ConnectionDeclarationInput = z.input<typeof connectionDeclarationSchema>;
export type StackTopLevel = z.output<typeof topLevelSchema>;
