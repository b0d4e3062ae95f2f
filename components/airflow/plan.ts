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
import { ResolvedConnection, connectionsImportFile, utf8Bytes } from "./serialize";
import { configKey } from "./sensitiveConfig";
import {
  DeclaredId,
  ReadContext,
  isKnown,
  laterConnectionProblems,
  scalarValueProblems,
  validateDeclarations,
  validateEnvironment,
  validateLayout,
} from "./validate";

export interface PlannedSecret {
  kind: SecretKind;
  /** conn_id, variable key or config key. */
  id: string;
  /** The name Airflow looks up in this backend. */
  name: string;
  /** The encoded value, exactly as Airflow parses it. Always secret. */
  readonly value: pulumi.Output<string>;
  /** The encoded value's UTF-8 size when it is known now (undefined when it comes from a resource). */
  readonly knownBytes: number | undefined;
  /** The declaration a connection came from (rotation settings live there). */
  connection?: ConnectionDeclaration;
  /**
   * The declared description, for stores that keep it as their own metadata
   * (`profile.descriptionInStore`) because Airflow would not read it back from the value.
   */
  description?: string;
}

/** The description a store writes as its own metadata for a planned secret. */
export function storeDescription(planned: PlannedSecret, environment: string): string {
  return planned.description ?? `Airflow ${planned.kind} "${planned.id}" (${environment})`;
}

export interface SecretsPlan {
  environment: string;
  profile: BackendProfile;
  layout: SecretsLayout;
  secrets: PlannedSecret[];
  airflowConfig: AirflowConfig;
  /** Every stored value by name, as one secret Output (for stores that hold them all in one object). */
  valuesByName(): pulumi.Output<Record<string, string>>;
  /** The file `airflow connections import` reads (dev metastores), as a secret Output. */
  connectionsImportFile(): pulumi.Output<string>;
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
  context: ReadContext;
  ids: DeclaredId[];
  /** Values known now, encoded once for the size check and reused by the plan, by message path. */
  encodedKnown: Map<string, string>;
}

/** A connection with its fields resolved (its Output fields awaited), as the serializers take it. */
export function resolvedConnection(conn: ConnectionDeclaration): pulumi.Output<ResolvedConnection> {
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

/** Throws the contract's value rules for values that resolved after planning, before they are stored. */
function throwIfAnyLater(problems: Problems): void {
  if (!problems.empty) throw new ValidationError(problems.list);
}

function check(args: PlanArgs, problems: Problems): ValidatedPlan | undefined {
  const before = problems.list.length;
  validateEnvironment(args.environment, problems);
  const profile = backendProfile(args.backend);
  const layout: SecretsLayout = { ...profile.defaultLayout(args.environment), ...(args.layout ?? {}) };
  validateLayout(layout, problems, profile);
  const version = validateSettings(args.airflow, problems);
  const format = defaultConnectionFormat(args.airflow ?? ({} as AirflowSettings), version);
  const context: ReadContext | undefined = version ? { version, format } : undefined;
  const ids = validateDeclarations(args.declarations ?? {}, profile, layout, problems, context);
  if (problems.list.length > before || !version) return undefined;

  const encodedKnown = new Map<string, string>();
  const checkKnownSize = (path: string, encoded: string) => {
    encodedKnown.set(path, encoded);
    const bytes = oversize(profile, encoded);
    if (bytes) problems.add(path, sizeRule(profile, bytes));
  };
  for (const conn of args.declarations.connections ?? []) {
    const known = knownConnection(conn);
    if (known) checkKnownSize(`connections[${conn.conn_id}]`, profile.encodeConnection(known, format));
  }
  for (const variable of args.declarations.variables ?? []) {
    if (isKnown(variable.value))
      checkKnownSize(`variables[${variable.key}]`, profile.encodeScalar(variable.value));
  }
  for (const option of args.declarations.config ?? []) {
    if (isKnown(option.value))
      checkKnownSize(`config[${option.section}.${option.option}]`, profile.encodeScalar(option.value));
  }
  return problems.list.length > before
    ? undefined
    : { profile, layout, version, format, context: { version, format }, ids, encodedKnown };
}

/**
 * Connections that are some alternating-users rotation's master: stored for the rotation function,
 * which creates the clone login with them. No backend lets Airflow read them.
 */
export function rotationMasterIds(connections: readonly ConnectionDeclaration[]): ReadonlySet<string> {
  return new Set(
    connections.flatMap((c) =>
      c?.rotation?.strategy === "alternating-users" && c.rotation.masterConnId !== undefined
        ? [c.rotation.masterConnId]
        : [],
    ),
  );
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
 * A component passes the problems it found in its own arguments, so one error lists them all
 * and the declarations are checked once.
 */
export function planSecrets(args: PlanArgs, problems = new Problems(), subject?: string): SecretsPlan {
  const plan = tryPlanSecrets(args, problems);
  problems.throwIfAny(subject);
  return plan!;
}

/**
 * The validation phase and the plan in one pass: adds every problem to `problems` and returns the
 * plan only when there were none. A backend's `prepare` hands the plan to `deploy`, so the
 * declarations are checked once per environment.
 */
export function tryPlanSecrets(args: PlanArgs, problems: Problems): SecretsPlan | undefined {
  const checked = check(args, problems);
  if (!checked) return undefined;
  const { profile, layout, version, format, context, ids, encodedKnown } = checked;

  // Values known now are encoded now, into one secret Output each; Output chains are built only for
  // values that come from other resources. This keeps large environments close to raw provider code.
  const secrets: PlannedSecret[] = [];
  const knownValues = new Map<string, string>();
  const knownConnections: Array<[string, ResolvedConnection]> = [];
  const pendingConnections: Array<pulumi.Output<[string, ResolvedConnection]>> = [];
  const add = (
    kind: SecretKind,
    id: string,
    path: string,
    encoded: string | pulumi.Output<string>,
    connection?: ConnectionDeclaration,
    description?: string,
  ) => {
    const name = profile.storageName(layout, kind, id);
    if (typeof encoded === "string") knownValues.set(name, encoded);
    // Built on first use: a store that writes every value into one object never pays for N Outputs.
    let value: pulumi.Output<string> | undefined;
    secrets.push({
      kind,
      id,
      name,
      connection,
      ...(description !== undefined && description !== "" && profile.descriptionInStore !== undefined
        ? { description }
        : {}),
      get knownBytes() {
        return typeof encoded === "string" ? utf8Bytes(encoded) : undefined;
      },
      get value() {
        value ??=
          typeof encoded === "string"
            ? pulumi.secret(encoded)
            : pulumi.secret(encoded.apply(enforceSizeLater(profile, path)));
        return value;
      },
    });
  };

  for (const conn of args.declarations.connections ?? []) {
    const known = knownConnection(conn);
    if (known) {
      knownConnections.push([conn.conn_id, known]);
      const path = `connections[${conn.conn_id}]`;
      add(
        "connection",
        conn.conn_id,
        path,
        encodedKnown.get(path) ?? profile.encodeConnection(known, format),
        conn,
        conn.description,
      );
    } else {
      const resolved = resolvedConnection(conn);
      pendingConnections.push(resolved.apply((c) => [conn.conn_id, c] as [string, ResolvedConnection]));
      const path = `connections[${conn.conn_id}]`;
      add(
        "connection",
        conn.conn_id,
        path,
        resolved.apply((c) => {
          throwIfAnyLater(laterConnectionProblems(c, path, profile, context));
          return profile.encodeConnection(c, format);
        }),
        conn,
        conn.description,
      );
    }
  }
  for (const variable of args.declarations.variables ?? []) {
    const path = `variables[${variable.key}]`;
    const encoded = isKnown(variable.value)
      ? (encodedKnown.get(path) ?? profile.encodeScalar(variable.value))
      : pulumi.output(variable.value).apply((value) => {
          const later = new Problems();
          scalarValueProblems("variable", value, `${path}.value`, profile, later);
          throwIfAnyLater(later);
          return profile.encodeScalar(value);
        });
    add("variable", variable.key, path, encoded, undefined, variable.description);
  }
  for (const option of args.declarations.config ?? []) {
    const path = `config[${option.section}.${option.option}]`;
    const encoded = isKnown(option.value)
      ? (encodedKnown.get(path) ?? profile.encodeScalar(option.value))
      : pulumi.output(option.value).apply((value) => {
          const later = new Problems();
          scalarValueProblems("config", value, `${path}.value`, profile, later);
          throwIfAnyLater(later);
          return profile.encodeScalar(value);
        });
    add("config", configKey(option, profile.kind), path, encoded);
  }

  const airflowConfig = renderAirflowConfig({
    profile,
    layout,
    ids,
    rotationMasterIds: rotationMasterIds(args.declarations.connections ?? []),
    config: args.declarations.config ?? [],
    settings: { ...args.airflow, connectionFormat: format },
    version,
    extraKwargs: args.extraKwargs,
  });
  return {
    environment: args.environment,
    profile,
    layout,
    secrets,
    airflowConfig,
    valuesByName() {
      const pending = secrets.filter((s) => !knownValues.has(s.name));
      if (pending.length === 0) return pulumi.secret(Object.fromEntries(knownValues));
      return pulumi.secret(
        pulumi.all(pending.map((s) => s.value)).apply((values) => {
          const all = new Map(knownValues);
          pending.forEach((s, i) => all.set(s.name, values[i]));
          return Object.fromEntries(secrets.map((s) => [s.name, all.get(s.name)!]));
        }),
      );
    },
    connectionsImportFile() {
      const render = (pending: Array<[string, ResolvedConnection]>) =>
        connectionsImportFile(Object.fromEntries([...knownConnections, ...pending]));
      if (pendingConnections.length === 0) return pulumi.secret(render([]));
      return pulumi.secret(pulumi.all(pendingConnections).apply(render));
    },
  };
}
