/**
 * TRANSITIONAL: the previous backend seam, kept only until every folder has `backend.ts`.
 * The seam between the environment component and a backend folder. A backend is one folder that
 * exports a `StackBackend`; the registry (`registry.ts`) maps its name to a lazy loader so an
 * AWS-only user never loads Azure's SDK.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { AirflowSettings, Problems, SecretsDeclarations } from "./airflow";
import type { AirflowSecretsBackend, BackendDeployment, KubernetesSettings } from "./backend";

export type { BackendDeployment, KubernetesSettings };

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

/** A legacy backend as the registry hands it out: the environment runs its own `prepare`. */
export type LegacyBackend = AirflowSecretsBackend & { legacy: StackBackend };

export function fromStackBackend(stackBackend: StackBackend, settingsSchema: z.ZodObject): LegacyBackend {
  const unsupported = () => {
    throw new Error(`backend ${stackBackend.name} has not moved to the resolve/build shape yet`);
  };
  return {
    name: stackBackend.name,
    description: stackBackend.description,
    settingsSchema,
    planArgs: unsupported,
    resolve: unsupported,
    component: unsupported as unknown as LegacyBackend["component"],
    legacy: stackBackend,
  };
}
