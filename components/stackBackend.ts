/**
 * The seam between the environment component and a backend folder. A backend is one folder that
 * exports a `StackBackend`; the registry (`registry.ts`) maps its name to a lazy loader so an
 * AWS-only user never loads Azure's SDK.
 */
import * as pulumi from "@pulumi/pulumi";
import { AirflowConfig, AirflowSettings, Problems, SecretsDeclarations } from "./airflow";

export interface KubernetesSettings {
  /** Namespace Airflow runs in. */
  namespace: string;
  /** Service account of Airflow's pods (scheduler, workers, API server, triggerer). */
  serviceAccount: string;
}

/** Everything an environment declares, already checked for shape; handed to the backend. */
export interface EnvironmentContext {
  environment: string;
  /** Production turns on stricter defaults (protection, audit, longer recovery windows). */
  production: boolean;
  owner?: string;
  declarations: SecretsDeclarations;
  airflow: AirflowSettings;
  kubernetes: KubernetesSettings;
  /** The backend's own settings (`airflow-secrets:<backend>` in stack config). */
  settings: Record<string, unknown>;
}

/** What a deployed backend hands back to the environment. */
export interface BackendDeployment {
  /** The Airflow configuration that reads what was provisioned. */
  airflowConfig: AirflowConfig;
  /** Identity binding for Airflow's Kubernetes service account (IRSA / WI / MI). */
  serviceAccountAnnotations?: Record<string, pulumi.Input<string>>;
  serviceAccountLabels?: Record<string, pulumi.Input<string>>;
  /** Stack outputs the backend adds (ARNs, URLs, role names). */
  outputs: Record<string, pulumi.Input<unknown>>;
}

/** Result of the validation phase: nothing is registered until `deploy` runs. */
export interface PreparedBackend {
  deploy(parent: pulumi.Resource): BackendDeployment;
}

export interface StackBackend {
  readonly name: string;
  readonly description: string;
  /**
   * Validates `context` completely, adding every problem to `problems`, and registers nothing.
   * May return undefined when problems were found.
   */
  prepare(context: EnvironmentContext, problems: Problems): PreparedBackend | undefined;
}
