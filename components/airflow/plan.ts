/**
 * The one entry point cloud folders use: validate everything, then produce the list of secrets to
 * store (name + encoded value, always a Pulumi secret) and the Airflow configuration that reads them.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  AirflowConfig,
  AirflowSettings,
  defaultConnectionFormat,
  renderAirflowConfig,
  validateSettings,
} from "./airflowConfig";
import { BackendKind, BackendProfile, SecretsLayout, backendProfile } from "./backends";
import { ConnectionDeclaration, SecretKind, SecretsDeclarations } from "./declarations";
import { Problems, ValidationError } from "./problems";
import { ResolvedConnection, utf8Bytes } from "./serialize";
import { configKey } from "./sensitiveConfig";
import { isKnown, validateDeclarations, validateEnvironment, validateLayout } from "./validate";

export interface PlannedSecret {
  kind: SecretKind;
  /** conn_id, variable key or config key. */
  id: string;
  /** The name Airflow looks up in this backend. */
  name: string;
  /** The encoded value, exactly as Airflow parses it. Always secret. */
  value: pulumi.Output<string>;
  /** The declaration a connection came from (rotation settings live there). */
  connection?: ConnectionDeclaration;
}

export interface SecretsPlan {
  environment: string;
  profile: BackendProfile;
  layout: SecretsLayout;
  secrets: PlannedSecret[];
  airflowConfig: AirflowConfig;
}

export interface PlanArgs {
  backend: BackendKind;
  environment: string;
  declarations: SecretsDeclarations;
  airflow: AirflowSettings;
  /** Overrides of the backend's per-environment default layout. */
  layout?: Partial<SecretsLayout>;
  /** Backend kwargs the cloud folder adds (url, auth, region, project). */
  extraKwargs?: Record<string, unknown>;
  /** Problems the caller found in its own args, reported together with the contract's. */
  problems?: Problems;
}

function resolvedConnection(conn: ConnectionDeclaration): pulumi.Output<ResolvedConnection> {
  return pulumi
    .all([conn.host, conn.port, conn.schema, conn.login, conn.password, conn.extra])
    .apply(([host, port, schema, login, password, extra]) => ({
      conn_type: conn.conn_type,
      description: conn.description,
      host,
      port,
      schema,
      login,
      password,
      extra: extra as Record<string, unknown> | undefined,
    }));
}

function knownConnection(conn: ConnectionDeclaration): ResolvedConnection | undefined {
  const fields = [conn.host, conn.port, conn.schema, conn.login, conn.password, conn.extra];
  if (!fields.every((f) => f === undefined || isKnown(f))) return undefined;
  return conn as unknown as ResolvedConnection;
}

/**
 * Validates (throwing one ValidationError that lists every problem, before any resource exists) and
 * plans the stored secrets. Sizes of values known now are checked now; values from other resources
 * are checked when they resolve.
 */
export function planSecrets(args: PlanArgs): SecretsPlan {
  const problems = args.problems ?? new Problems();
  validateEnvironment(args.environment, problems);
  const profile = backendProfile(args.backend);
  const layout: SecretsLayout = { ...profile.defaultLayout(args.environment), ...(args.layout ?? {}) };
  validateLayout(layout, problems);
  const version = validateSettings(args.airflow, problems);
  const ids = validateDeclarations(args.declarations ?? {}, profile, layout, problems);
  problems.throwIfAny();

  const format = defaultConnectionFormat(args.airflow, version!);
  const sizeRule = (bytes: number) =>
    `the encoded value is ${bytes} bytes; ${profile.title} stores at most ${profile.maxValueBytes}`;
  const oversize = (encoded: string) =>
    profile.maxValueBytes !== undefined && utf8Bytes(encoded) > profile.maxValueBytes ? utf8Bytes(encoded) : 0;
  const sizeProblems = new Problems();
  // Values known now are checked before any resource; values from other resources when they resolve.
  const checkNow = (path: string, encoded: string) => {
    const bytes = oversize(encoded);
    if (bytes) sizeProblems.add(path, sizeRule(bytes));
  };
  const enforceLater = (path: string) => (encoded: string) => {
    const bytes = oversize(encoded);
    if (bytes) throw new ValidationError([{ path, rule: sizeRule(bytes) }]);
    return encoded;
  };

  const secrets: PlannedSecret[] = [];
  for (const conn of args.declarations.connections ?? []) {
    const path = `connections[${conn.conn_id}]`;
    const known = knownConnection(conn);
    if (known) checkNow(path, profile.encodeConnection(known, format));
    secrets.push({
      kind: "connection",
      id: conn.conn_id,
      name: profile.storageName(layout, "connection", conn.conn_id),
      value: pulumi.secret(resolvedConnection(conn).apply((c) => enforceLater(path)(profile.encodeConnection(c, format)))),
      connection: conn,
    });
  }
  for (const variable of args.declarations.variables ?? []) {
    const path = `variables[${variable.key}]`;
    if (isKnown(variable.value)) checkNow(path, profile.encodeScalar(variable.value));
    secrets.push({
      kind: "variable",
      id: variable.key,
      name: profile.storageName(layout, "variable", variable.key),
      value: pulumi.secret(pulumi.output(variable.value).apply((v) => enforceLater(path)(profile.encodeScalar(v)))),
    });
  }
  for (const option of args.declarations.config ?? []) {
    const key = configKey(option, profile.kind);
    const path = `config[${option.section}.${option.option}]`;
    if (isKnown(option.value)) checkNow(path, profile.encodeScalar(option.value));
    secrets.push({
      kind: "config",
      id: key,
      name: profile.storageName(layout, "config", key),
      value: pulumi.secret(pulumi.output(option.value).apply((v) => enforceLater(path)(profile.encodeScalar(v)))),
    });
  }
  sizeProblems.throwIfAny();

  const airflowConfig = renderAirflowConfig({
    profile,
    layout,
    ids,
    config: args.declarations.config ?? [],
    settings: { ...args.airflow, connectionFormat: format },
    version: version!,
    extraKwargs: args.extraKwargs,
  });
  return { environment: args.environment, profile, layout, secrets, airflowConfig };
}
