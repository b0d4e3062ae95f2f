import * as pulumi from "@pulumi/pulumi";
import {
  AirflowConfig,
  AirflowSettings,
  ENVIRONMENT_PATTERN,
  MwaaConfiguration,
  FernetSettings,
  Problems,
  SecretsDeclarations,
  mwaaConfiguration,
  validateFernetSettings,
} from "./airflow";
import { FernetKey } from "./fernet";
import { FernetReencryptJob } from "./fernet/reencryptJob";
import { AirflowConfigMap, AirflowServiceAccount } from "./kubernetes";
import {
  AirflowComponent,
  airflowMajorOf,
  checkComponentServiceAccounts,
  componentServiceAccounts,
  kubernetesIdentity,
  perServiceAccountName,
} from "./kubernetes/serviceAccountNames";
import { isProduction } from "./core/production";
import { parseSettings } from "./core/schema";
import { fernetSettingsSchema, kubernetesTargetSchema } from "./core/stackSchema";
import type { AwsBackendSettingsInput } from "./aws/schema";
import type { AzureSettingsSchemaInput } from "./azure/schema";
import type { GcpSettingsSchemaInput } from "./gcp/schema";
import type { EnvBackendSettingsInput } from "./env/schema";
import type { VaultBackendSettingsInput } from "./vault/schema";
import { loadBackend } from "./registry";
import { airflowChartValues } from "./helm/chartValues";
import { checkEmergencySubset, emergencyVariable } from "./airflow/emergency";
import { MirrorArgs, PreparedMirror, prepareMirror } from "./mirror";
import {
  AirflowSecretsBackend,
  BackendComponent,
  BackendDeployment,
  BackendContext,
  KubernetesSettings,
  ResolvedBackend,
  WorkloadProviderOptions,
  prepareBackend,
  outputsInState,
} from "./backend";

/**
 * AWS settings as a TypeScript caller writes them: the schema's input type, with the one rule the
 * schema states as a refinement made a type too (Secrets Manager needs `deployerRoleArns`, the
 * roles that may read values back; Parameter Store takes none).
 */
export type AwsEnvironmentSettings = Omit<AwsBackendSettingsInput, "store" | "deployerRoleArns"> &
  (
    | { store?: "secretsmanager" | null; deployerRoleArns: string[] }
    | { store: "ssm"; deployerRoleArns?: undefined }
  );

/** Each backend's settings, by the name `backend` selects (the type of its schema's input). */
export interface BackendSettingsByName {
  env: EnvBackendSettingsInput;
  vault: VaultBackendSettingsInput;
  aws: AwsEnvironmentSettings;
  gcp: GcpSettingsSchemaInput;
  azure: AzureSettingsSchemaInput;
}

/** What every environment declares, whatever its backend. */
export interface EnvironmentArgsBase {
  /** Environment name: dev, staging, prod… (lowercase, used in every path and name). */
  environment: string;
  /** Stricter defaults (protection, audit, recovery windows). Defaults to `environment === "prod"`. */
  production?: boolean;
  /** Team that owns these secrets (tagged on every resource that takes tags). */
  owner?: string;
  declarations: SecretsDeclarations;
  airflow: AirflowSettings;
  /**
   * Where Airflow runs, or `false` off Kubernetes (MWAA, Astronomer, Cloud Composer): then only the
   * Airflow configuration and the reader identity are built, no Kubernetes resource (README
   * "Without Kubernetes").
   */
  kubernetes: KubernetesSettings | false;
  /**
   * Generate Airflow's Fernet key and store it in the backend as config `core.fernet_key`
   * (Airflow reads it through `AIRFLOW__CORE__FERNET_KEY_SECRET`). Protected in production.
   */
  fernet?: FernetSettings;
  /** The clock for expiries and rotation slots (tests pin it). Default: now. */
  now?: Date;
}

/**
 * A standby backend (README "Standby backend (mirror)"): `backend` selects the type of
 * `backendSettings`, as for the primary.
 */
export type StandbyBackendArgs = {
  [B in keyof BackendSettingsByName]: {
    /** The standby backend: another one than the primary's. */
    backend: B;
    /** Its settings, exactly as when it is the primary. */
    backendSettings: BackendSettingsByName[B];
  };
}[keyof BackendSettingsByName];

/**
 * One environment's arguments: `backend` selects the type of `backendSettings`, so a missing or
 * misspelt setting (e.g. `aws.deployerRoleArns`) is a compile error. Providers come through the
 * resource options (`{ providers: { aws, kubernetes } }`), never through args.
 */
export type AirflowSecretsEnvironmentArgs = {
  [B in keyof BackendSettingsByName]: EnvironmentArgsBase & {
    /** Backend name: env, vault, aws, gcp or azure. */
    backend: B;
    /** The backend's own settings (see its README section). */
    backendSettings: BackendSettingsByName[B];
    /**
     * A standby backend storing the same declarations, with its own reader identity; its Airflow
     * configuration is rendered (`mirror.airflowConfig`) but not active. Rotation stays with the primary.
     */
    mirror?: StandbyBackendArgs;
  };
}[keyof BackendSettingsByName];

/**
 * The same arguments as a program reads them from stack config, where only the run-time schema can
 * check `backendSettings` (the library's stack program uses this).
 */
export interface AirflowSecretsEnvironmentConfigArgs extends EnvironmentArgsBase {
  /** Backend name: env, vault, aws, gcp or azure. */
  backend: string;
  /** The backend's own settings block, checked by the backend's schema. */
  backendSettings?: unknown;
  /** The standby backend and its settings block, checked by that backend's schema. */
  mirror?: MirrorArgs;
}

/** @deprecated The name before `AirflowSecretsEnvironmentArgs` became the typed union. */
export type TypedEnvironmentArgs = AirflowSecretsEnvironmentArgs;

/** The chart values for one environment, once the names and the env Secret's data resolve. */
function chartValues(
  args: AirflowSecretsEnvironmentArgs | AirflowSecretsEnvironmentConfigArgs,
  kubernetes: KubernetesSettings,
  deployment: BackendDeployment,
  configMapName: pulumi.Input<string>,
): pulumi.Output<Record<string, unknown>> {
  const secrets = deployment.envFromSecrets ?? [];
  // One flat `all`: each nested level would wrap each Secret's data (thousands of entries) again.
  const values = pulumi
    .all([configMapName, ...secrets.map((s) => s.name), ...secrets.map((s) => s.data)])
    .apply(([name, ...resolved]) =>
      airflowChartValues({
        airflowMajor: airflowMajorOf(args.airflow.version),
        configMapName: name as string,
        configData: deployment.airflowConfig.env,
        envSecrets: secrets.map((_, i) => ({
          name: resolved[i] as string,
          data: resolved[secrets.length + i] as Record<string, string>,
        })),
        serviceAccounts: Object.fromEntries(componentServiceAccounts(kubernetes, args.airflow.version)),
        fernetFromBackend: args.fernet !== undefined,
      }),
    );
  // A checksum is not the secret it sums (the chart annotates its own pods with the same kind of
  // SHA-256 of its Secrets); left secret, it would hide every value here in synth and outputs.
  return pulumi.unsecret(values);
}

/** The standby backend once built: what Airflow would read after a failover. */
export interface StandbyDeployment {
  /** The standby backend's name. */
  backend: string;
  /** The Airflow configuration that reads the standby: rendered, not active. */
  airflowConfig: AirflowConfig;
  /** The Helm chart values after a failover; absent with `kubernetes: false`. */
  helmValues?: pulumi.Output<Record<string, unknown>>;
  /** With `kubernetes: false`: the standby's configuration as MWAA takes it. */
  mwaaConfiguration?: MwaaConfiguration;
  /** The standby backend's outputs (ARNs, URLs, role names). */
  outputs: Record<string, pulumi.Input<unknown>>;
}

/** What `prepareEnvironment` found, ready to build. */
export interface PreparedEnvironment {
  production: boolean;
  backend: AirflowSecretsBackend;
  resolved: ResolvedBackend;
  /** The standby backend (`mirror`), when the environment has one. */
  mirror?: PreparedMirror;
  /** The emergency subset's `airflow connections import` file, when a connection is critical. Secret. */
  emergencyConnections?: pulumi.Output<string>;
  /** Hands the generated Fernet key to the declaration that stores it. */
  resolveFernetValue(value: pulumi.Output<string>): void;
}

/**
 * Every check of one environment, registering nothing: its own fields, the Fernet settings, then
 * the backend's parse → plan → resolve. Adds every problem to `problems`; returns what to build only
 * when there was none.
 */
export function prepareEnvironment(
  args: AirflowSecretsEnvironmentArgs | AirflowSecretsEnvironmentConfigArgs,
  problems: Problems,
): PreparedEnvironment | undefined {
  const before = problems.list.length;
  problems.check(
    ENVIRONMENT_PATTERN.test(args.environment ?? ""),
    "environment",
    `must be 1-20 lowercase letters, digits or -, starting with a letter (got "${args.environment}")`,
  );
  // Names, types and unknown keys of `kubernetes`, by the same schema the stack file is parsed with.
  if (
    parseSettings(kubernetesTargetSchema, args.kubernetes, "kubernetes", problems) !== undefined &&
    args.kubernetes !== false
  )
    checkComponentServiceAccounts(args.kubernetes, args.airflow?.version, problems);
  // Off Kubernetes there is no cluster to run a Job in (nor a service account to run it as).
  problems.check(
    !(args.kubernetes === false && args.fernet?.reencryptJob !== undefined),
    "fernet.reencryptJob",
    "is a Kubernetes Job and kubernetes is false: remove it and run `airflow rotate-fernet-key` on the platform (e.g. as a one-off task) during the rotation window",
  );
  const production = isProduction({ production: args.production, environment: args.environment });
  // The Fernet key is declared now (so the backend validates its name) and resolved once generated.
  const [fernetValue, resolveFernetValue] = pulumi.deferredOutput<string>();
  const declarations: SecretsDeclarations = { ...(args.declarations ?? {}) };
  if (args.fernet !== undefined) {
    if (parseSettings(fernetSettingsSchema, args.fernet, "fernet", problems) !== undefined)
      validateFernetSettings(args.fernet, problems);
    declarations.config = [
      ...(declarations.config ?? []),
      { section: "core", option: "fernet_key", value: fernetValue },
    ];
  }
  // The emergency subset is one more Variable: named, encrypted and granted by each backend's rules.
  const emergency = Array.isArray(declarations.connections)
    ? emergencyVariable(declarations.connections)
    : undefined;
  if (Array.isArray(declarations.connections)) checkEmergencySubset(declarations.connections, problems);
  if (emergency !== undefined) declarations.variables = [...(declarations.variables ?? []), emergency];
  const backend = loadBackend(args.backend);
  const context: BackendContext = {
    environment: args.environment,
    production,
    owner: args.owner,
    declarations,
    airflow: args.airflow,
    kubernetes: args.kubernetes,
    now: args.now ?? new Date(),
  };
  const resolved = prepareBackend(backend, context, args.backendSettings, problems);
  const mirror =
    args.mirror !== undefined ? prepareMirror(args.mirror, args.backend, context, problems) : undefined;
  if (problems.list.length > before) return undefined;
  return {
    production,
    backend,
    resolved: resolved!,
    mirror,
    resolveFernetValue,
    ...(emergency !== undefined
      ? { emergencyConnections: pulumi.secret(pulumi.output(emergency.value)) }
      : {}),
  };
}

/**
 * One environment's Airflow secrets: the backend's store, reader and writer identities, audit and
 * rotation, plus Airflow's service account and the ConfigMap that points Airflow at the backend.
 * Everything is validated before the first resource is registered.
 */
export class AirflowSecretsEnvironment extends pulumi.ComponentResource {
  readonly airflowConfig: AirflowConfig;
  /**
   * The shared service account (`kubernetes.serviceAccount`), or the first component's when each
   * has its own; absent with `kubernetes: false`.
   */
  readonly serviceAccount?: AirflowServiceAccount;
  /** The service account each Airflow component runs as (several components may share one); empty with `kubernetes: false`. */
  readonly serviceAccounts: Partial<Record<AirflowComponent, AirflowServiceAccount>> = {};
  /** The ConfigMap of `AIRFLOW__*` settings; absent with `kubernetes: false`. */
  readonly configMap?: AirflowConfigMap;
  /** Backend-specific outputs (ARNs, URLs, role names). */
  readonly backendOutputs: Record<string, pulumi.Input<unknown>>;
  /**
   * Values for the official Apache Airflow Helm chart that make every Airflow component read what
   * this environment provisioned (see README "Running it with the Airflow Helm chart"); absent with
   * `kubernetes: false`.
   */
  readonly helmValues?: pulumi.Output<Record<string, unknown>>;
  /**
   * With `kubernetes: false`: the configuration as Amazon MWAA's `AirflowConfigurationOptions` and
   * what MWAA cannot take, with the reason (README "Without Kubernetes").
   */
  readonly mwaaConfiguration?: MwaaConfiguration;
  /** During a Fernet rotation: what to do next (README, "Fernet key"). */
  readonly fernetNextStep?: string;
  /**
   * The standby backend (`mirror`): its Airflow configuration, rendered but not active (what Airflow
   * reads after a failover), and its outputs (reader identity, store).
   */
  readonly mirror?: StandbyDeployment;
  /**
   * The emergency subset: the critical connections as an `airflow connections import` file
   * (README "Emergency subset"). Secret; absent when no connection is critical.
   */
  readonly emergencyConnections?: pulumi.Output<string>;

  /**
   * An environment whose backend settings come from stack config (or another untyped source): the
   * backend's schema checks them at run time, with every problem named, before anything is registered.
   */
  static fromConfig(
    name: string,
    args: AirflowSecretsEnvironmentConfigArgs,
    opts?: WorkloadProviderOptions,
  ): AirflowSecretsEnvironment {
    return new AirflowSecretsEnvironment(name, args as AirflowSecretsEnvironmentArgs, opts);
  }

  /**
   * `opts.providers` reach every resource as usual; `opts.workloadProviders` (`{ aws }`) is the
   * provider of the account Airflow runs in, required when the backend's settings put it in another
   * account than the secrets (AWS `accounts`).
   */
  constructor(name: string, args: AirflowSecretsEnvironmentArgs, opts?: WorkloadProviderOptions) {
    const problems = new Problems();
    const prepared = prepareEnvironment(args, problems);
    const needsWorkload = (resolvedBackend: ResolvedBackend | undefined, at: string) => {
      for (const pkg of resolvedBackend?.workloadProviders ?? [])
        problems.check(
          opts?.workloadProviders?.[pkg] !== undefined,
          `${at}.accounts.workload`,
          `puts Airflow in another account: pass that account's ${pkg} provider as the workloadProviders.${pkg} resource option (the stack program builds it from accounts.workload)`,
        );
    };
    needsWorkload(prepared?.resolved, args.backend);
    needsWorkload(prepared?.mirror?.resolved, `mirror.${args.mirror?.backend}`);
    problems.throwIfAny(`Airflow secrets environment "${args.environment}" (${args.backend} backend)`);
    const { production, backend, resolved, mirror, resolveFernetValue } = prepared!;
    const identity = kubernetesIdentity(args);

    // The policy pack reads these inputs to judge what this environment creates (never names).
    super(
      "airflow-secrets:index:AirflowSecretsEnvironment",
      name,
      {
        environment: args.environment,
        production,
        kubernetesNamespace: identity?.namespace,
        // Every component's account (what the identity binds); the single name as before with one.
        kubernetesServiceAccounts: identity?.serviceAccounts,
        kubernetesServiceAccount:
          identity?.serviceAccounts.length === 1 ? identity.serviceAccounts[0] : undefined,
        // With a standby: which backend Airflow reads (the rest of the environment is the same
        // either way), so the policy pack holds the standby's copies to the standby's rules.
        ...(mirror !== undefined ? { activeBackend: backend.name, standbyBackend: mirror.backend.name } : {}),
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
    // Each backend's component is named by the environment and the backend alone, never by its role,
    // so failing over (`backend` <-> `mirror`) keeps every URN of both and changes what Airflow reads.
    const build = (chosen: AirflowSecretsBackend, chosenResolved: ResolvedBackend): BackendComponent =>
      new chosen.component(`${args.environment}-${chosen.name}`, chosenResolved, {
        parent: this,
        ...(opts?.workloadProviders !== undefined ? { workloadProviders: opts.workloadProviders } : {}),
      } as WorkloadProviderOptions);
    const component = build(backend, resolved);
    const deployment = component.deployment;
    const standby = mirror !== undefined ? build(mirror.backend, mirror.resolved).deployment : undefined;
    this.airflowConfig = deployment.airflowConfig;
    this.backendOutputs = deployment.outputs;
    this.emergencyConnections = prepared!.emergencyConnections;
    if (standby !== undefined && mirror !== undefined)
      this.mirror = {
        backend: mirror.backend.name,
        airflowConfig: standby.airflowConfig,
        outputs: standby.outputs,
      };
    // The component's own state leaves out the outputs that grow with the declarations: the stack
    // exports them, and Pulumi rewrites the whole checkpoint on every step (env README, "Outputs").
    const backendOutputsInState = outputsInState(deployment);
    const mirrorOutputs = () =>
      this.mirror !== undefined && standby !== undefined
        ? { mirror: { ...this.mirror, outputs: outputsInState(standby) } }
        : {};
    const emergencyOutputs =
      this.emergencyConnections !== undefined ? { emergencyConnections: this.emergencyConnections } : {};
    const job = args.fernet?.reencryptJob;
    if (args.fernet?.rotationInProgress === true)
      this.fernetNextStep =
        job !== undefined
          ? "the re-encryption Job ran in this update; set fernet.rotationInProgress: false and deploy, then restart Airflow"
          : "restart every Airflow component, run `airflow rotate-fernet-key` once, then set fernet.rotationInProgress: false and deploy";
    if (args.kubernetes === false) {
      // Off Kubernetes: the configuration in the forms the platforms take, no Kubernetes resource.
      this.mwaaConfiguration = mwaaConfiguration(deployment.airflowConfig);
      if (this.mirror !== undefined)
        this.mirror.mwaaConfiguration = mwaaConfiguration(this.mirror.airflowConfig);
      this.registerOutputs({
        airflowConfig: this.airflowConfig,
        mwaaConfiguration: this.mwaaConfiguration,
        ...backendOutputsInState,
        ...mirrorOutputs(),
        ...emergencyOutputs,
      });
      return;
    }
    // One service account per distinct name, each carrying the reader identity's binding.
    const accounts = new Map(
      identity!.serviceAccounts.map((account) => [
        account,
        new AirflowServiceAccount(
          perServiceAccountName(`${name}-airflow`, identity!, account),
          {
            namespace: identity!.namespace,
            name: account,
            // The standby's reader binds the same accounts (its own annotation keys), so they are
            // the same whichever backend is active.
            annotations: { ...standby?.serviceAccountAnnotations, ...deployment.serviceAccountAnnotations },
            labels: { ...standby?.serviceAccountLabels, ...deployment.serviceAccountLabels },
            environment: args.environment,
            owner: args.owner,
          },
          { parent: this },
        ),
      ]),
    );
    const byComponent = componentServiceAccounts(args.kubernetes, args.airflow.version);
    this.serviceAccounts = Object.fromEntries(
      byComponent.map(([component, account]) => [component, accounts.get(account)!]),
    );
    this.serviceAccount = accounts.get(identity!.sharedServiceAccount ?? identity!.serviceAccounts[0])!;
    this.configMap = new AirflowConfigMap(
      `${name}-airflow-config`,
      {
        namespace: args.kubernetes.namespace,
        airflowConfig: deployment.airflowConfig,
        configMapName: `airflow-${args.environment}-secrets-config`,
        environment: args.environment,
        owner: args.owner,
      },
      { parent: this },
    );
    if (args.fernet?.rotationInProgress === true && job !== undefined)
      // After the backend holds `new,old` (the Job reads it through the backend, as Airflow does).
      new FernetReencryptJob(
        `${name}-fernet-reencrypt`,
        {
          namespace: args.kubernetes.namespace,
          environment: args.environment,
          generation: args.fernet.generations[args.fernet.generations.length - 1],
          image: job.image,
          // `airflow rotate-fernet-key` maintains the metadata database, as `airflow db migrate` does.
          serviceAccountName: this.serviceAccounts.migrateDatabaseJob!.name,
          configMapName: this.configMap.name,
          envSecretNames: deployment.envFromSecrets?.map((s) => s.name),
          metadataSecret: { name: job.metadataSecret.name, key: job.metadataSecret.key ?? "connection" },
        },
        { parent: this, dependsOn: [component, this.configMap] },
      );
    this.helmValues = chartValues(args, args.kubernetes, deployment, this.configMap.name);
    if (this.mirror !== undefined && standby !== undefined)
      this.mirror.helmValues = chartValues(args, args.kubernetes, standby, this.configMap.name);
    this.registerOutputs({
      airflowConfig: this.airflowConfig,
      helmValues: this.helmValues,
      ...backendOutputsInState,
      ...mirrorOutputs(),
      ...emergencyOutputs,
    });
  }
}

export type { AirflowSettings, SecretsDeclarations };
