import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  AirflowConfig,
  AirflowSettings,
  ENVIRONMENT_PATTERN,
  FernetSettings,
  Problems,
  checkKnownKeys,
  SecretsDeclarations,
  validateFernetSettings,
} from "./airflow";
import { FernetKey } from "./fernet";
import { AirflowConfigMap, AirflowServiceAccount } from "./kubernetes";
import { loadStackBackend } from "./registry";
import { KubernetesSettings } from "./stackBackend";

export interface AirflowSecretsEnvironmentArgs {
  /** Environment name: dev, staging, prod… (lowercase, used in every path and name). */
  environment: string;
  /** Stricter defaults (protection, audit, recovery windows). Defaults to `environment === "prod"`. */
  production?: boolean;
  /** Team that owns these secrets (tagged on every resource that takes tags). */
  owner?: string;
  /** Backend name: env, vault, aws, gcp or azure. */
  backend: string;
  /** The backend's own settings (see its README section). */
  backendSettings?: Record<string, unknown>;
  declarations: SecretsDeclarations;
  airflow: AirflowSettings;
  kubernetes: KubernetesSettings;
  /**
   * Generate Airflow's Fernet key and store it in the backend as config `core.fernet_key`
   * (Airflow reads it through `AIRFLOW__CORE__FERNET_KEY_SECRET`). Protected in production.
   */
  fernet?: FernetSettings;
  /** Kubernetes provider for the service account and ConfigMap. */
  kubernetesProvider?: k8s.Provider;
}

const K8S_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * One environment's Airflow secrets: the backend's store, reader and writer identities, audit and
 * rotation, plus Airflow's service account and the ConfigMap that points Airflow at the backend.
 * Everything is validated before the first resource is registered.
 */
export class AirflowSecretsEnvironment extends pulumi.ComponentResource {
  readonly airflowConfig: AirflowConfig;
  readonly serviceAccount: AirflowServiceAccount;
  readonly configMap: AirflowConfigMap;
  /** Backend-specific outputs (ARNs, URLs, role names). */
  readonly backendOutputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: AirflowSecretsEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems();
    problems.check(
      ENVIRONMENT_PATTERN.test(args.environment ?? ""),
      "environment",
      `must be 1-20 lowercase letters, digits or -, starting with a letter (got "${args.environment}")`,
    );
    problems.check(
      K8S_NAME.test(args.kubernetes?.namespace ?? ""),
      "kubernetes.namespace",
      `must be a Kubernetes namespace name: lowercase letters, digits and -, at most 63 (got "${args.kubernetes?.namespace}")`,
    );
    problems.check(
      K8S_NAME.test(args.kubernetes?.serviceAccount ?? ""),
      "kubernetes.serviceAccount",
      `must be a Kubernetes name: lowercase letters, digits and -, at most 63 (got "${args.kubernetes?.serviceAccount}")`,
    );
    checkKnownKeys(args.kubernetes, ["namespace", "serviceAccount"], "kubernetes", problems);
    const production = args.production ?? args.environment === "prod";
    // The Fernet key is declared now (so the backend validates its name) and resolved once generated.
    const [fernetValue, resolveFernetValue] = pulumi.deferredOutput<string>();
    const declarations: SecretsDeclarations = { ...(args.declarations ?? {}) };
    if (args.fernet !== undefined) {
      checkKnownKeys(args.fernet, ["generations", "rotationInProgress"], "fernet", problems);
      validateFernetSettings(args.fernet, problems);
      declarations.config = [
        ...(declarations.config ?? []),
        { section: "core", option: "fernet_key", value: fernetValue },
      ];
    }
    const backend = loadStackBackend(args.backend);
    const prepared = backend.prepare(
      {
        environment: args.environment,
        production,
        owner: args.owner,
        declarations,
        airflow: args.airflow,
        kubernetes: args.kubernetes,
        settings: args.backendSettings ?? {},
      },
      problems,
    );
    problems.throwIfAny(`Airflow secrets environment "${args.environment}" (${args.backend} backend)`);

    // The policy pack reads these inputs to judge what this environment creates (never names).
    super(
      "airflow-secrets:index:AirflowSecretsEnvironment",
      name,
      {
        environment: args.environment,
        production,
        kubernetesNamespace: args.kubernetes.namespace,
        kubernetesServiceAccount: args.kubernetes.serviceAccount,
      },
      opts,
    );
    if (args.fernet !== undefined) {
      const fernet = new FernetKey(
        `${name}-fernet`,
        { ...args.fernet, protect: production },
        { parent: this },
      );
      resolveFernetValue(fernet.value);
    }
    const deployment = prepared!.deploy(this);
    this.airflowConfig = deployment.airflowConfig;
    this.backendOutputs = deployment.outputs;
    this.serviceAccount = new AirflowServiceAccount(
      `${name}-airflow`,
      {
        namespace: args.kubernetes.namespace,
        name: args.kubernetes.serviceAccount,
        annotations: deployment.serviceAccountAnnotations,
        labels: deployment.serviceAccountLabels,
        provider: args.kubernetesProvider,
      },
      { parent: this },
    );
    this.configMap = new AirflowConfigMap(
      `${name}-airflow-config`,
      {
        namespace: args.kubernetes.namespace,
        airflowConfig: deployment.airflowConfig,
        configMapName: `airflow-${args.environment}-secrets-config`,
        provider: args.kubernetesProvider,
      },
      { parent: this },
    );
    this.registerOutputs({ airflowConfig: this.airflowConfig, ...this.backendOutputs });
  }
}

export type { AirflowSettings, SecretsDeclarations };
