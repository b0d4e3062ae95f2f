/**
 * The one shape every backend folder has (see README "How it is built"):
 *
 *   parse    the backend's settings block, by its Zod schema (`settingsSchema`);
 *   resolve  a pure function from the environment and the parsed settings to everything the backend's
 *            component needs, including the one `SecretsPlan`; it registers nothing and reports every
 *            problem with a field path;
 *   build    `new <Backend>AirflowSecrets(name, resolved, opts)`, whose constructor never validates.
 *
 * The environment component runs the three through `prepareBackend` below, so the declarations are
 * checked exactly once per environment, by `tryPlanSecrets`, whatever the backend.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
  AirflowConfig,
  AirflowSettings,
  PlanArgs,
  Problems,
  SecretsDeclarations,
  SecretsPlan,
  tryPlanSecrets,
} from "./airflow";
import { isProduction } from "./core/production";
import { parseSettingsSalvaging } from "./core/schema";
import type { AirflowComponent } from "./kubernetes/serviceAccountNames";

export interface KubernetesSettings {
  /** Namespace Airflow runs in. */
  namespace: string;
  /**
   * The service account of every Airflow component not named in `serviceAccounts` (scheduler,
   * workers, triggerer, DAG processor, API server or webserver, migrate-database Job). Default `airflow`.
   */
  serviceAccount?: string;
  /**
   * A service account per component, keyed as the official Helm chart's values name them; the
   * reader identity covers each name and nothing more.
   */
  serviceAccounts?: Partial<Record<AirflowComponent, string>>;
  /**
   * Name each component's service account as the chart generates it for this Helm release
   * (`<release>-scheduler`, `<release>-worker`, …). Not with `serviceAccount` or `serviceAccounts`.
   */
  chartRelease?: string;
}

/** What every backend resolves against: the environment, already checked for shape. */
export interface BackendContext {
  environment: string;
  /** Decided once, by `isProduction`: stricter defaults (protection, audit, recovery windows). */
  production: boolean;
  owner?: string;
  declarations: SecretsDeclarations;
  airflow: AirflowSettings;
  /**
   * Where Airflow runs: a Kubernetes namespace and its service accounts, or `false` off Kubernetes
   * (MWAA, Astronomer, Cloud Composer), where the reader identity is bound to a principal the
   * backend's own settings name instead of a service account.
   */
  kubernetes: KubernetesSettings | false;
  /** The clock for expiries and rotation slots, read once per environment so resolve is pure. */
  now: Date;
}

/** What a built backend hands back to the environment. */
export interface BackendDeployment {
  /** The Airflow configuration that reads what was provisioned. */
  airflowConfig: AirflowConfig;
  /** Identity binding for Airflow's Kubernetes service account (IRSA / WI / MI). */
  serviceAccountAnnotations?: Record<string, pulumi.Input<string>>;
  serviceAccountLabels?: Record<string, pulumi.Input<string>>;
  /** Stack outputs the backend adds (ARNs, URLs, role names); only what exists. */
  outputs: Record<string, pulumi.Input<unknown>>;
  /**
   * Keys of `outputs` whose size grows with the declarations (a name per secret, a file of every
   * connection). The stack exports them; the environment component keeps them out of its own state,
   * so the checkpoint Pulumi rewrites on every step holds each once.
   */
  perDeclarationOutputs?: readonly string[];
  /** Kubernetes Secrets Airflow's pods load as environment variables (the env backend's), and their data. */
  envFromSecrets?: Array<{ name: pulumi.Input<string>; data: pulumi.Output<Record<string, string>> }>;
}

/** Every backend's resolved value carries the one plan of what is stored, and where. */
export interface ResolvedBackend {
  plan: SecretsPlan;
  /**
   * Provider packages whose second, workload-side provider the component builds with (e.g. `aws`
   * when Airflow runs in another account than its secrets): the environment requires each in its
   * `workloadProviders` option before registering anything, and hands them to the component.
   */
  workloadProviders?: string[];
}

/** Resource options of a component that may also build in Airflow's (workload) account. */
export interface WorkloadProviderOptions extends pulumi.ComponentResourceOptions {
  /** The workload account's providers by package (`{ aws: workloadProvider }`); `providers` stay the secrets side's. */
  workloadProviders?: Record<string, pulumi.ProviderResource>;
}

/** A backend's umbrella component: `<Backend>AirflowSecrets`. */
export interface BackendComponent extends pulumi.ComponentResource {
  readonly deployment: BackendDeployment;
}

export interface AirflowSecretsBackend<
  Schema extends z.ZodObject = z.ZodObject,
  Resolved extends ResolvedBackend = ResolvedBackend,
> {
  /** The name a stack selects (`airflow-secrets:backend`) and its settings block's key. */
  readonly name: string;
  readonly description: string;
  /** The settings block's shape: strict, typed, described; the JSON Schema and README tables come from it. */
  readonly settingsSchema: Schema;
  /**
   * Where the contract stores the declarations with these settings. Called with settings that may be
   * partial (what was left after removing badly shaped parts), so one run reports everything.
   */
  planArgs(context: BackendContext, settings: Partial<z.output<Schema>>): PlanArgs;
  /**
   * Pure: the backend's own rules and defaults over the settings and the plan. Adds every problem to
   * `problems` and returns undefined when there was one. `plan` is undefined when the declarations
   * broke a rule of the contract (already reported); `settings` are the salvaged settings when
   * `complete` is false (top-level fields may be missing; check them, never build from them).
   */
  resolve(
    input: {
      context: BackendContext;
      settings: z.output<Schema>;
      complete: boolean;
      plan: SecretsPlan | undefined;
    },
    problems: Problems,
  ): Resolved | undefined;
  /** `<Backend>AirflowSecrets`: registers the backend's resources, never validates. */
  readonly component: new (
    name: string,
    resolved: Resolved,
    opts?: pulumi.ComponentResourceOptions,
  ) => BackendComponent;
}

/**
 * Parse → plan → resolve for one environment: the settings' shape by the backend's schema, the
 * declarations by the contract (once), then the backend's rules. Every problem goes to `problems`;
 * the resolved value is returned only when there was none.
 */
export function prepareBackend<Schema extends z.ZodObject, Resolved extends ResolvedBackend>(
  backend: AirflowSecretsBackend<Schema, Resolved>,
  context: BackendContext,
  rawSettings: unknown,
  problems: Problems,
): Resolved | undefined {
  const before = problems.list.length;
  const parsed = parseSettingsSalvaging(backend.settingsSchema, rawSettings ?? {}, backend.name, problems);
  const settings = (parsed.value ?? {}) as z.output<Schema>;
  const plan = tryPlanSecrets(backend.planArgs(context, settings), problems);
  const ruleProblems = new Problems();
  const resolved =
    parsed.value !== undefined
      ? backend.resolve({ context, settings, complete: parsed.ok, plan }, ruleProblems)
      : undefined;
  parsed.report(ruleProblems);
  return parsed.ok && plan !== undefined && problems.list.length === before ? resolved : undefined;
}

/**
 * For a TypeScript program composing one backend on its own: parse, plan and resolve, throwing one
 * error that lists every problem (before anything is registered). Then
 * `new AwsAirflowSecrets(name, resolveBackendOrThrow(awsBackend, context, settings))`.
 */
export function resolveBackendOrThrow<Schema extends z.ZodObject, Resolved extends ResolvedBackend>(
  backend: AirflowSecretsBackend<Schema, Resolved>,
  context: Omit<BackendContext, "now" | "production"> & { production?: boolean; now?: Date },
  settings: z.input<Schema>,
): Resolved {
  const problems = new Problems();
  const resolved = prepareBackend(
    backend,
    {
      ...context,
      production: isProduction({ production: context.production, environment: context.environment }),
      now: context.now ?? new Date(),
    },
    settings,
    problems,
  );
  problems.throwIfAny(`Airflow secrets "${context.environment}" (${backend.name} backend)`);
  return resolved!;
}

/**
 * The cluster settings of a backend whose reader is bound to Kubernetes service accounts only:
 * `kubernetes: false` is a problem at `kubernetes` saying why (`rule`), and undefined is returned.
 */
export function requireKubernetes(
  context: BackendContext,
  rule: string,
  problems: Problems,
): KubernetesSettings | undefined {
  if (context.kubernetes !== false) return context.kubernetes;
  problems.add("kubernetes", rule);
  return undefined;
}

/**
 * A deployment's outputs without those that grow with the declarations: what components register
 * in their own state (the stack exports every output, so the checkpoint holds each list once).
 */
export function outputsInState(
  deployment: Pick<BackendDeployment, "outputs" | "perDeclarationOutputs">,
): Record<string, pulumi.Input<unknown>> {
  const perDeclaration = deployment.perDeclarationOutputs ?? [];
  if (perDeclaration.length === 0) return deployment.outputs;
  return Object.fromEntries(
    Object.entries(deployment.outputs).filter(([key]) => !perDeclaration.includes(key)),
  );
}
