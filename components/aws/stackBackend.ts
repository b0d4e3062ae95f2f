import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import {
  ConnectionDeclaration,
  PlanArgs,
  PlannedSecret,
  Problems,
  SecretKind,
  configKey,
  defaultConnectionFormat,
  parseAirflowVersion,
  planSecrets,
  validatePlan,
} from "../airflow";
import { type DatabaseDriver, driverFor } from "../rotation/driver";
import { RotationError } from "../rotation/errors";
import { alternateLogin } from "../rotation/rotate";
import { BackendDeployment, EnvironmentContext, StackBackend } from "../stackBackend";
import { SecretsAccessRoles } from "./accessRoles";
import { SecretsAuditTrail } from "./auditTrail";
import { AwsStoreArgs, awsAccountContext, idSlug } from "./common";
import { ParameterStore } from "./parameterStore";
import {
  RotationSchedule,
  RotationStrategy,
  SecretRotationLambda,
  checkRotationSchedule,
} from "./rotationLambda";
import { SecretsKmsKey } from "./secretsKey";
import {
  DEFAULT_RECOVERY_WINDOW_DAYS,
  PRODUCTION_RECOVERY_WINDOW_DAYS,
  SecretsManagerStore,
} from "./secretsManagerStore";
import { SecretsManagerVpcEndpoint } from "./vpcEndpoint";
import { AwsBackendSettings, SETTINGS_PATH, validateAwsSettings } from "./settings";

const KINDS: readonly SecretKind[] = ["connection", "variable", "config"];

function planArgsFor(context: EnvironmentContext, settings: Partial<AwsBackendSettings>): PlanArgs {
  return {
    backend: settings.store === "ssm" ? "aws-ssm" : "aws-secrets-manager",
    environment: context.environment,
    declarations: context.declarations,
    airflow: context.airflow,
    layout: settings.layout,
    extraKwargs: settings.region !== undefined ? { region_name: settings.region } : undefined,
  };
}

/** Rotation settings of a connection as the schedule Secrets Manager gets. */
function scheduleFor(conn: ConnectionDeclaration, settings: AwsBackendSettings): RotationSchedule {
  const everyDays = conn.rotation!.everyDays;
  const duration = settings.rotation?.duration;
  return duration !== undefined ? { scheduleExpression: `rate(${everyDays} days)`, duration } : { everyDays };
}

/**
 * What the rotation function would refuse at its first `createSecret`, found now through the rotation
 * core itself: a conn_type without a driver (the connection's, or its master's, which the function logs
 * in with), and a login the strategy would use — the login and, for alternating users, its clone
 * (`alternateLogin`) — longer than the driver keeps (PostgreSQL: 63 bytes). A login that is not a
 * plain string (a secret or another resource's output) is unknown here and checked at run time.
 */
function checkRotatable(
  conn: ConnectionDeclaration,
  connections: readonly ConnectionDeclaration[],
  problems: Problems,
): void {
  const label = `connections[${conn.conn_id}]`;
  const driver = databaseDriver(conn.conn_type, label, `${label}.conn_type`, problems);
  const masterConnId =
    conn.rotation?.strategy === "alternating-users" ? conn.rotation.masterConnId : undefined;
  const master = connections.find((c) => c?.conn_id === masterConnId);
  if (master !== undefined && master !== conn)
    databaseDriver(
      master.conn_type,
      `the master connections[${master.conn_id}]`,
      `${label}.rotation.masterConnId`,
      problems,
    );
  if (driver === undefined || typeof conn.login !== "string") return;
  const logins =
    conn.rotation!.strategy === "alternating-users" ? [conn.login, alternateLogin(conn.login)] : [conn.login];
  for (const login of logins) {
    const bytes = Buffer.byteLength(login, "utf8");
    problems.check(
      bytes <= driver.maxLoginBytes,
      `${label}.login`,
      () =>
        `${conn.rotation!.strategy} would use login "${login}", ${bytes} bytes; ${driver.connType} keeps identifiers of at most ${driver.maxLoginBytes} bytes, so every rotation would fail (IDENTIFIER_TOO_LONG)`,
    );
  }
}

/** The rotation core's driver for a conn_type, or a problem saying rotation does not support it. */
function databaseDriver(
  connType: unknown,
  label: string,
  path: string,
  problems: Problems,
): DatabaseDriver | undefined {
  if (typeof connType !== "string") return undefined;
  try {
    return driverFor(connType, label);
  } catch (error) {
    problems.add(path, error instanceof RotationError ? error.detail : String(error));
    return undefined;
  }
}

/**
 * Rotation needs Secrets Manager, JSON connections, a conn_type and login the rotation core can
 * handle, and (in production) at most 90 days between rotations.
 */
function validateRotations(
  context: EnvironmentContext,
  settings: AwsBackendSettings | undefined,
  problems: Problems,
): void {
  const rotated = (context.declarations.connections ?? []).filter(
    (c) => c?.rotation !== undefined && typeof c.rotation === "object",
  );
  if (rotated.length === 0) {
    problems.check(
      settings?.rotation?.createSecretsManagerEndpointInVpc === undefined,
      `${SETTINGS_PATH}.rotation.createSecretsManagerEndpointInVpc`,
      "no connection declares rotation, so no rotation function would use the endpoint and none is created; remove the setting (or declare rotation on a connection)",
    );
    return;
  }
  const version = parseAirflowVersion(context.airflow?.version, new Problems());
  const format = version ? defaultConnectionFormat(context.airflow, version) : undefined;
  for (const conn of rotated) {
    const path = `connections[${conn.conn_id}].rotation`;
    if (settings?.store === "ssm")
      problems.add(
        path,
        "rotation needs the Secrets Manager store (Parameter Store has no rotation); set aws.store to secretsmanager",
      );
    if (format === "uri")
      problems.add(
        path,
        "the rotation function reads and writes Airflow's JSON connection form; use airflow.connectionFormat json (Airflow 2.3 or later)",
      );
    if (settings !== undefined && Number.isInteger(conn.rotation!.everyDays)) {
      checkRotationSchedule(scheduleFor(conn, settings), context.production, path, problems);
    }
    checkRotatable(conn, context.declarations.connections ?? [], problems);
  }
}

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

function deploy(
  context: EnvironmentContext,
  settings: AwsBackendSettings,
  parent: pulumi.Resource,
): BackendDeployment {
  const { environment, production, owner } = context;
  const plan = planSecrets(planArgsFor(context, settings));
  const store = settings.store ?? "secretsmanager";
  const region = settings.region;
  const replicaRegions = settings.replicaRegions ?? [];
  const tags = settings.tags;
  const account = awsAccountContext({ parent });
  const opts = { parent };
  const recoveryWindowInDays =
    settings.recoveryWindowDays ??
    (production ? PRODUCTION_RECOVERY_WINDOW_DAYS : DEFAULT_RECOVERY_WINDOW_DAYS);
  // `prefix + sep` of every kind, from the contract: the scope of every policy and audit filter.
  const namePrefixes = [
    ...new Set(KINDS.map((kind) => plan.profile.storageName(plan.layout, kind, ""))),
  ].sort();

  // The key policy names the reader role and the reader's policy names the key.
  const [keyArns, resolveKeyArns] = pulumi.deferredOutput<string[]>();
  const access = new SecretsAccessRoles(
    `${environment}-access`,
    {
      environment,
      owner,
      region,
      replicaRegions,
      store,
      namePrefixes,
      kmsKeyArns: keyArns,
      oidcProviderArn: settings.oidcProviderArn,
      oidcIssuer: settings.oidcIssuer,
      namespace: context.kubernetes.namespace,
      serviceAccount: context.kubernetes.serviceAccount,
      ciWriter: settings.ciWriter,
      recoveryWindowInDays: store === "secretsmanager" ? recoveryWindowInDays : undefined,
      tags,
      account,
    },
    opts,
  );
  const key = new SecretsKmsKey(
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
      existing:
        settings.kms?.existingKeyArn !== undefined
          ? { keyArn: settings.kms.existingKeyArn, replicaKeyArns: settings.kms.existingReplicaKeyArns }
          : undefined,
      tags,
      account,
    },
    opts,
  );
  resolveKeyArns(key.allKeyArns);

  const { enabled: auditEnabled = production, ...auditSettings } = settings.audit ?? {};
  const audit = auditEnabled
    ? new SecretsAuditTrail(
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
        opts,
      )
    : undefined;

  // The Fernet key: losing it makes every encrypted field in Airflow's metastore unreadable.
  const fernetKeys = new Set(
    (context.declarations.config ?? [])
      .filter((o) => o.section === "core" && o.option === "fernet_key")
      .map((o) => configKey(o, plan.profile.kind)),
  );
  const criticalSecretNames = plan.secrets
    .filter((s) => s.kind === "config" && fernetKeys.has(s.id))
    .map((s) => s.name);

  const outputs: Record<string, pulumi.Input<unknown>> = {
    awsRegion: region,
    secretStore: store,
    kmsKeyArn: key.keyArn,
    readerRoleArn: access.readerRoleArn,
  };
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
    criticalSecretNames,
    tags,
  };
  if (store === "ssm") {
    const parameters = new ParameterStore(`${environment}-parameters`, storeArgs, opts);
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
    const addReader = (name: string, arn: pulumi.Input<string>) => {
      readersBySecretName[name] ??= masterNames.has(name) ? [] : [access.readerRoleArn];
      readersBySecretName[name].push(arn);
    };
    groups.forEach((group, i) => {
      for (const member of group.members) addReader(member.name, roleArns[i][0]);
      if (group.masterConnId !== undefined) addReader(byConnId.get(group.masterConnId)!.name, roleArns[i][0]);
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
      opts,
    );
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
            opts,
          ).endpoint
        : undefined;
    const functions: Record<string, pulumi.Output<string>> = {};
    groups.forEach((group, i) => {
      const name = functionName(environment, group);
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
          functionName: name,
          tags,
          account,
        },
        opts,
      );
      roleArns[i][1](lambda.roleArn);
      functions[name] = lambda.function.arn;
    });
    if (groups.length > 0) outputs.rotationFunctionArns = functions;
  }

  return {
    airflowConfig: plan.airflowConfig,
    serviceAccountAnnotations: access.serviceAccountAnnotations,
    outputs,
  };
}

/**
 * AWS backend: Secrets Manager (or SSM Parameter Store) encrypted with a per-environment KMS key,
 * an IRSA reader role for Airflow, a CI writer that cannot read, a CloudTrail audit sink with
 * alarms, and rotation functions for connections that declare `rotation`.
 */
export const awsStackBackend: StackBackend = {
  name: "aws",
  description:
    "AWS Secrets Manager or SSM Parameter Store with KMS, IRSA, CloudTrail audit and Lambda rotation",
  prepare(context, problems) {
    const before = problems.list.length;
    const settings = validateAwsSettings(context.settings, context.production, problems, context.environment);
    // Declarations are checked even when the settings are not, so one run reports everything.
    validatePlan(
      planArgsFor(
        context,
        settings ?? { store: context.settings?.store === "ssm" ? "ssm" : "secretsmanager" },
      ),
      problems,
    );
    validateRotations(context, settings, problems);
    if (settings === undefined || problems.list.length > before) return undefined;
    return { deploy: (parent) => deploy(context, settings, parent) };
  },
};
