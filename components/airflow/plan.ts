/**
 * The one entry point cloud folders use: validate everything, then produce the list of secrets to
 * store (name + encoded value, always a Pulumi secret) and the Airflow configuration that reads them.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  AirflowConfig,
  AirflowSettings,
  AirflowVersion,
  defaultConnectionFormat,
  renderAirflowConfig,
  validateSettings,
} from "./airflowConfig";
import { BackendKind, BackendProfile, ConnectionFormat, SecretsLayout, backendProfile } from "./backends";
import { ConnectionDeclaration, SecretKind, SecretsDeclarations } from "./declarations";
import { Problems, ValidationError } from "./problems";
import { ResolvedConnection, utf8Bytes } from "./serialize";
import { configKey } from "./sensitiveConfig";
import { DeclaredId, isKnown, validateDeclarations, validateEnvironment, validateLayout } from "./validate";

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
}

interface ValidatedPlan {
  profile: BackendProfile;
  layout: SecretsLayout;
  version: AirflowVersion;
  format: ConnectionFormat;
  ids: DeclaredId[];
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

/** The connection as plain values, when every field is known at declaration time. */
function knownConnection(conn: ConnectionDeclaration): ResolvedConnection | undefined {
  const fields = [conn.host, conn.port, conn.schema, conn.login, conn.password, conn.extra];
  if (!fields.every((f) => f === undefined || isKnown(f))) return undefined;
  return conn as unknown as ResolvedConnection;
}

const sizeRule = (profile: BackendProfile, bytes: number) =>
  `the encoded value is ${bytes} bytes; ${profile.title} stores at most ${profile.maxValueBytes}`;

function oversize(profile: BackendProfile, encoded: string): number {
  const bytes = utf8Bytes(encoded);
  return profile.maxValueBytes !== undefined && bytes > profile.maxValueBytes ? bytes : 0;
}

/** Checks a value that only resolves later (it comes from another resource). */
const enforceSizeLater = (profile: BackendProfile, path: string) => (encoded: string) => {
  const bytes = oversize(profile, encoded);
  if (bytes) throw new ValidationError([{ path, rule: sizeRule(profile, bytes) }]);
  return encoded;
};

function check(args: PlanArgs, problems: Problems): ValidatedPlan | undefined {
  const before = problems.list.length;
  validateEnvironment(args.environment, problems);
  const profile = backendProfile(args.backend);
  const layout: SecretsLayout = { ...profile.defaultLayout(args.environment), ...(args.layout ?? {}) };
  validateLayout(layout, problems);
  const version = validateSettings(args.airflow, problems);
  const ids = validateDeclarations(args.declarations ?? {}, profile, layout, problems);
  if (problems.list.length > before || !version) return undefined;

  const format = defaultConnectionFormat(args.airflow, version);
  const checkKnownSize = (path: string, encoded: string) => {
    const bytes = oversize(profile, encoded);
    if (bytes) problems.add(path, sizeRule(profile, bytes));
  };
  for (const conn of args.declarations.connections ?? []) {
    const known = knownConnection(conn);
    if (known) checkKnownSize(`connections[${conn.conn_id}]`, profile.encodeConnection(known, format));
  }
  for (const variable of args.declarations.variables ?? []) {
    if (isKnown(variable.value)) checkKnownSize(`variables[${variable.key}]`, profile.encodeScalar(variable.value));
  }
  for (const option of args.declarations.config ?? []) {
    if (isKnown(option.value)) checkKnownSize(`config[${option.section}.${option.option}]`, profile.encodeScalar(option.value));
  }
  return problems.list.length > before ? undefined : { profile, layout, version, format, ids };
}

/**
 * Adds every problem with `args` to `problems` without registering or building anything: the
 * validation phase of a backend's `prepare`. Values known now are size-checked now.
 */
export function validatePlan(args: PlanArgs, problems: Problems): boolean {
  return check(args, problems) !== undefined;
}

/**
 * Validates (throwing one ValidationError listing every problem, before any resource exists) and
 * plans the stored secrets. Values from other resources are size-checked when they resolve.
 */
export function planSecrets(args: PlanArgs): SecretsPlan {
  const problems = new Problems();
  const checked = check(args, problems);
  problems.throwIfAny();
  const { profile, layout, version, format, ids } = checked!;

  const secrets: PlannedSecret[] = [];
  for (const conn of args.declarations.connections ?? []) {
    const enforce = enforceSizeLater(profile, `connections[${conn.conn_id}]`);
    secrets.push({
      kind: "connection",
      id: conn.conn_id,
      name: profile.storageName(layout, "connection", conn.conn_id),
      value: pulumi.secret(resolvedConnection(conn).apply((c) => enforce(profile.encodeConnection(c, format)))),
      connection: conn,
    });
  }
  for (const variable of args.declarations.variables ?? []) {
    const enforce = enforceSizeLater(profile, `variables[${variable.key}]`);
    secrets.push({
      kind: "variable",
      id: variable.key,
      name: profile.storageName(layout, "variable", variable.key),
      value: pulumi.secret(pulumi.output(variable.value).apply((v) => enforce(profile.encodeScalar(v)))),
    });
  }
  for (const option of args.declarations.config ?? []) {
    const key = configKey(option, profile.kind);
    const enforce = enforceSizeLater(profile, `config[${option.section}.${option.option}]`);
    secrets.push({
      kind: "config",
      id: key,
      name: profile.storageName(layout, "config", key),
      value: pulumi.secret(pulumi.output(option.value).apply((v) => enforce(profile.encodeScalar(v)))),
    });
  }

  const airflowConfig = renderAirflowConfig({
    profile,
    layout,
    ids,
    config: args.declarations.config ?? [],
    settings: { ...args.airflow, connectionFormat: format },
    version,
    extraKwargs: args.extraKwargs,
  });
  return { environment: args.environment, profile, layout, secrets, airflowConfig };
}
