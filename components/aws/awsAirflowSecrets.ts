import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { PlannedSecret, SecretKind, SecretsPlan } from "../airflow";
import {
  outputsInState,
  type BackendDeployment,
  type ResolvedBackend,
  type WorkloadProviderOptions,
} from "../backend";
import type { KubernetesIdentity } from "../kubernetes/serviceAccountNames";
import { RotationStrategy } from "../rotation/strategy";
import { SecretsAccessRoles } from "./accessRoles";
import { CrossAccountAccess, WorkloadReaderIdentity } from "./accounts";
import { airflowRolesTrustPolicy } from "./offKubernetes";
import { SecretsAuditTrail } from "./auditTrail";
import { AwsStoreArgs, awsAccountContext, idSlug } from "./common";
import { ParameterStore } from "./parameterStore";
import { SecretRotationLambda } from "./rotationLambda";
import { SecretsKmsKey } from "./secretsKey";
import { SecretsManagerStore } from "./secretsManagerStore";
import { AwsSettings, scheduleFor } from "./settings";
import { SecretsManagerVpcEndpoint } from "./vpcEndpoint";

/** Everything `AwsAirflowSecrets` builds from, decided by `backend.resolve` (rules and defaults). */
export interface AwsResolved extends ResolvedBackend {
  environment: string;
  production: boolean;
  owner?: string;
  /** Airflow's namespace and the service accounts of its components; absent off Kubernetes. */
  kubernetes?: KubernetesIdentity;
  /** The settings with nulls read as absent and the store defaulted. */
  settings: AwsSettings;
  /** Secrets Manager's recovery window (production 30 days, 7 elsewhere, unless set). */
  recoveryWindowInDays: number;
  /** Whether the audit trail (or an existing trail's alarms) is built. */
  audit: boolean;
  /** Secrets whose loss is unrecoverable (the Fernet key): protected and retained in production. */
  criticalSecretNames: string[];
  /** With `accounts`: Airflow's IRSA role in the workload account assumes the reader (accounts.ts). */
  crossAccount?: CrossAccountAccess;
}

const KINDS: readonly SecretKind[] = ["connection", "variable", "config"];

interface RotationGroup {
  strategy: RotationStrategy;
  masterConnId?: string;
  members: PlannedSecret[];
}

/** One rotation function per strategy and master: the handler reads both from its environment. */
function rotationGroups(secrets: readonly PlannedSecret[]): RotationGroup[] {
  const groups = new Map<string, RotationGroup>();
  for (const secret of secrets) {
    const rotation = secret.connection?.rotation;
    if (secret.kind !== "connection" || rotation === undefined) continue;
    const master = rotation.strategy === "alternating-users" ? rotation.masterConnId : undefined;
    const key = `${rotation.strategy}|${master ?? ""}`;
    if (!groups.has(key)) groups.set(key, { strategy: rotation.strategy, masterConnId: master, members: [] });
    groups.get(key)!.members.push(secret);
  }
  return [...groups.values()];
}

/** Lambda names: letters, digits, - and _, at most 64; a hash keeps sanitised names unique. */
function functionName(environment: string, group: RotationGroup): string {
  const base = `airflow-${environment}-rotate-`;
  if (group.masterConnId === undefined) return `${base}single-user`;
  const safe = group.masterConnId.replace(/[^A-Za-z0-9_-]/g, "-");
  const full = `${base}via-${safe}`;
  if (safe === group.masterConnId && full.length <= 64) return full;
  const hash = createHash("sha256").update(group.masterConnId).digest("hex").slice(0, 8);
  return `${full.slice(0, 64 - 9)}-${hash}`;
}

/**
 * The AWS backend for one environment: Secrets Manager (or SSM Parameter Store) encrypted with the
 * environment's KMS key, an IRSA reader role for Airflow, a CI writer that cannot read, a CloudTrail
 * audit sink with alarms, and rotation functions for connections that declare `rotation`.
 *
 * Build it from `resolveBackendOrThrow(backend, context, settings)` (or the environment does it from
 * `backend.resolve`); the constructor checks nothing, since every rule ran before anything was
 * registered. Its children are named by the environment, not by `name`, so a stack that deployed them
 * directly under `AirflowSecretsEnvironment` keeps them: each direct child is aliased to that parent.
 */
export class AwsAirflowSecrets extends pulumi.ComponentResource {
  readonly plan: SecretsPlan;
  readonly keys: SecretsKmsKey;
  readonly access: SecretsAccessRoles;
  /** With `accounts`: Airflow's IRSA role in the workload account, built with `opts.workloadProviders.aws`. */
  readonly workloadIdentity?: WorkloadReaderIdentity;
  readonly store: SecretsManagerStore | ParameterStore;
  readonly audit?: SecretsAuditTrail;
  /** Only with rotated connections: one function per strategy and master, by function name. */
  readonly rotation?: Record<string, SecretRotationLambda>;
  /** What the environment reads: Airflow's configuration, the IRSA annotation, stack outputs. */
  readonly deployment: BackendDeployment;

  constructor(name: string, resolved: AwsResolved, opts?: WorkloadProviderOptions) {
    // A wiring mistake of the caller, not a setting: `AirflowSecretsEnvironment` reports it with the rest.
    if (resolved.crossAccount !== undefined && opts?.workloadProviders?.aws === undefined)
      throw new Error(
        `AwsAirflowSecrets ${name}: aws.accounts puts Airflow in account ${resolved.crossAccount.workloadAccountId}; pass that account's AWS provider as the workloadProviders.aws resource option`,
      );
    super("airflow-secrets:aws:AwsAirflowSecrets", name, {}, opts);
    const { plan, settings, environment, production, owner, recoveryWindowInDays } = resolved;
    this.plan = plan;
    const { store, region, tags } = settings;
    const replicaRegions = settings.replicaRegions ?? [];
    const account = awsAccountContext({ parent: this });
    // Before this component existed these children sat under the environment component itself.
    const childOpts: pulumi.ComponentResourceOptions = {
      parent: this,
      // The old parent by URN: an alias holding the Resource itself makes Pulumi walk the whole
      // resource graph behind it (looking for unknowns) once per child.
      ...(opts?.parent !== undefined ? { aliases: [{ parent: opts.parent.urn }] } : {}),
    };
    // `prefix + sep` of every kind, from the contract: the scope of every policy and audit filter.
    const namePrefixes = [
      ...new Set(KINDS.map((kind) => plan.profile.storageName(plan.layout, kind, ""))),
    ].sort();

    // What IRSA trusts; empty only off Kubernetes, where no IRSA trust is built.
    const irsa = {
      oidcProviderArn: settings.oidcProviderArn ?? "",
      oidcIssuer: settings.oidcIssuer ?? "",
      namespace: resolved.kubernetes?.namespace ?? "",
      serviceAccounts: resolved.kubernetes?.serviceAccounts ?? [],
    };
    const crossAccount = resolved.crossAccount;
    const workloadProvider = opts?.workloadProviders?.aws;
    if (crossAccount !== undefined && workloadProvider !== undefined)
      this.workloadIdentity = new WorkloadReaderIdentity(
        `${environment}-workload-identity`,
        {
          environment,
          owner,
          access: crossAccount,
          // Across accounts Airflow is on Kubernetes (checkAwsTarget refuses accounts off it).
          ...irsa,
          tags,
        },
        { parent: this, providers: { aws: workloadProvider } },
      );
    const workloadIdentity = this.workloadIdentity;

    // The key policy names the reader role and the reader's policy names the key.
    const [keyArns, resolveKeyArns] = pulumi.deferredOutput<string[]>();
    this.access = new SecretsAccessRoles(
      `${environment}-access`,
      {
        environment,
        owner,
        region,
        replicaRegions,
        store,
        namePrefixes,
        kmsKeyArns: keyArns,
        // Absent only off Kubernetes, where the trust below replaces IRSA's (checkAwsTarget).
        ...irsa,
        ciWriter: settings.ciWriter,
        recoveryWindowInDays: store === "secretsmanager" ? recoveryWindowInDays : undefined,
        tags,
        account,
        readerTrustPolicy:
          workloadIdentity?.readerTrustPolicy ??
          (settings.offKubernetes
            ? JSON.stringify(airflowRolesTrustPolicy(settings.offKubernetes.airflowRoleArns))
            : undefined),
      },
      childOpts,
    );
    const access = this.access;
    this.keys = new SecretsKmsKey(
      `${environment}-secrets-key`,
      {
        environment,
        region,
        production,
        owner,
        store,
        readerRoleArns: [access.readerRoleArn],
        replicaRegions,
        multiRegion: settings.kms?.multiRegion,
        deletionWindowInDays: settings.kms?.deletionWindowInDays,
        existing: settings.kms?.existing,
        tags,
        account,
      },
      childOpts,
    );
    const key = this.keys;
    resolveKeyArns(key.allKeyArns);

    if (resolved.audit) {
      const { enabled: _enabled, ...auditSettings } = settings.audit ?? {};
      this.audit = new SecretsAuditTrail(
        `${environment}-audit`,
        {
          ...auditSettings,
          environment,
          production,
          owner,
          region,
          store,
          namePrefixes,
          secretsKeyArn: key.keyArn,
          secretsReplicaKeyArns: replicaRegions.map((r) => key.replicaKeyArns[r]),
          tags,
          account,
        },
        childOpts,
      );
    }
    const audit = this.audit;

    const outputs: Record<string, pulumi.Input<unknown>> = {
      awsRegion: region,
      secretStore: store,
      kmsKeyArn: key.keyArn,
      readerRoleArn: access.readerRoleArn,
    };
    if (workloadIdentity) outputs.workloadRoleArn = workloadIdentity.roleArn;
    if (access.writerPolicyArn) outputs.writerPolicyArn = access.writerPolicyArn;
    if (access.writerRoleArn) outputs.writerRoleArn = access.writerRoleArn;
    if (audit) {
      outputs.auditLogGroup = audit.logGroupName;
      outputs.alarmTopicArn = audit.alarmTopicArn;
      if (audit.trailArn) outputs.auditTrailArn = audit.trailArn;
    }

    const storeArgs: AwsStoreArgs = {
      environment,
      production,
      owner,
      region,
      secrets: plan.secrets,
      kmsKeyArn: key.keyArn,
      criticalSecretNames: resolved.criticalSecretNames,
      tags,
    };
    if (store === "ssm") {
      const parameters = new ParameterStore(`${environment}-parameters`, storeArgs, childOpts);
      this.store = parameters;
      outputs.parameterArns = parameters.parameterArns;
    } else {
      const groups = rotationGroups(plan.secrets);
      const byConnId = new Map(plan.secrets.filter((s) => s.kind === "connection").map((s) => [s.id, s]));
      const masterNames = new Set(
        groups.filter((g) => g.masterConnId !== undefined).map((g) => byConnId.get(g.masterConnId!)!.name),
      );
      const roleArns = groups.map(() => pulumi.deferredOutput<string>());
      // Rotated secrets: Airflow and their function read them. Masters: only the functions, never Airflow.
      const readersBySecretName: Record<string, pulumi.Input<string>[]> = {};
      const addReader = (secretName: string, arn: pulumi.Input<string>) => {
        readersBySecretName[secretName] ??= masterNames.has(secretName) ? [] : [access.readerRoleArn];
        readersBySecretName[secretName].push(arn);
      };
      groups.forEach((group, i) => {
        for (const member of group.members) addReader(member.name, roleArns[i][0]);
        if (group.masterConnId !== undefined)
          addReader(byConnId.get(group.masterConnId)!.name, roleArns[i][0]);
      });
      const secrets = new SecretsManagerStore(
        `${environment}-secrets`,
        {
          ...storeArgs,
          replicas: replicaRegions.map((r) => ({ region: r, kmsKeyArn: key.replicaKeyArns[r] })),
          recoveryWindowInDays,
          readerRoleArns: [access.readerRoleArn],
          deployerRoleArns: settings.deployerRoleArns ?? [],
          readersBySecretName,
          rotatedSecretNames: groups.flatMap((g) => g.members.map((m) => m.name)),
        },
        childOpts,
      );
      this.store = secrets;
      outputs.secretArns = secrets.secretArns;

      const rotation = settings.rotation ?? {};
      const vpc =
        rotation.subnetIds !== undefined
          ? { subnetIds: rotation.subnetIds, securityGroupIds: rotation.securityGroupIds ?? [] }
          : undefined;
      // One endpoint for every function: private DNS allows a single Secrets Manager endpoint per VPC.
      const vpcEndpoint =
        groups.length > 0 && rotation.createSecretsManagerEndpointInVpc !== undefined && vpc !== undefined
          ? new SecretsManagerVpcEndpoint(
              `${environment}-secretsmanager-endpoint`,
              {
                environment,
                owner,
                region,
                vpcId: rotation.createSecretsManagerEndpointInVpc,
                subnetIds: vpc.subnetIds,
                clientSecurityGroupIds: vpc.securityGroupIds,
                tags,
              },
              childOpts,
            ).endpoint
          : undefined;
      const functions: Record<string, SecretRotationLambda> = {};
      groups.forEach((group, i) => {
        const lambdaName = functionName(environment, group);
        const lambda = new SecretRotationLambda(
          `${environment}-rotation-${group.masterConnId === undefined ? "single-user" : `via-${idSlug(group.masterConnId)}`}`,
          {
            environment,
            production,
            owner,
            region,
            strategy: group.strategy,
            masterSecretArn:
              group.masterConnId !== undefined
                ? secrets.secrets[byConnId.get(group.masterConnId)!.name].arnWithValue
                : undefined,
            secrets: group.members.map((m) => ({
              id: m.id,
              secretArn: secrets.secrets[m.name].arnWithValue,
              schedule: scheduleFor(m.connection!, settings),
            })),
            kmsKeyArn: key.keyArn,
            vpc,
            secretsManagerEndpoint:
              vpcEndpoint !== undefined || rotation.secretsManagerEndpointUrl !== undefined
                ? { vpcEndpoint, endpointUrl: rotation.secretsManagerEndpointUrl }
                : undefined,
            passwordLength: rotation.passwordLength,
            excludeCharacters: rotation.excludeCharacters,
            caCertificates: rotation.caCertificates,
            rotateImmediately: rotation.rotateImmediately,
            logRetentionInDays: rotation.logRetentionInDays,
            // With audit off, rotation failures still reach a topic given in audit.alarmTopicArn.
            alarmTopicArn: audit?.alarmTopicArn ?? settings.audit?.alarmTopicArn,
            functionName: lambdaName,
            tags,
            account,
          },
          childOpts,
        );
        roleArns[i][1](lambda.roleArn);
        functions[lambdaName] = lambda;
      });
      if (groups.length > 0) {
        this.rotation = functions;
        outputs.rotationFunctionArns = Object.fromEntries(
          Object.entries(functions).map(([fn, lambda]) => [fn, lambda.function.arn]),
        );
      }
    }

    this.deployment = {
      airflowConfig: plan.airflowConfig,
      // Across accounts the pods run as the workload account's IRSA role, which assumes the reader.
      serviceAccountAnnotations:
        resolved.kubernetes === undefined
          ? undefined
          : (workloadIdentity ?? access).serviceAccountAnnotations,
      outputs,
      // An ARN per secret or parameter: exported by the stack, kept out of component state.
      perDeclarationOutputs: ["secretArns", "parameterArns"],
    };
    this.registerOutputs(outputsInState(this.deployment));
  }
}
