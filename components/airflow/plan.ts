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
import { ResolvedConnection, connectionsImportFileOf, utf8Bytes } from "./serialize";
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

/** A planned secret; its secret Output is built on first use (a store holding every value in one object never asks). */
class Planned implements PlannedSecret {
  /** Set only for stores that keep descriptions (`PlannedSecret.description`). */
  declare readonly description?: string;
  readonly knownBytes: number | undefined;
  /** The encoded value when it is known now. */
  readonly knownValue: string | undefined;
  private output: pulumi.Output<string> | undefined;
  private readonly later: (() => pulumi.Output<string>) | undefined;

  constructor(
    readonly kind: SecretKind,
    readonly id: string,
    readonly name: string,
    value: KnownValue | (() => pulumi.Output<string>),
    readonly connection: ConnectionDeclaration | undefined,
    description: string | undefined,
  ) {
    if (typeof value === "function") {
      this.later = value;
      this.knownBytes = undefined;
      this.knownValue = undefined;
    } else {
      this.later = undefined;
      this.knownBytes = value.bytes;
      this.knownValue = value.encoded;
    }
    if (description !== undefined) (this as { description?: string }).description = description;
  }

  get value(): pulumi.Output<string> {
    this.output ??= this.later !== undefined ? this.later() : pulumi.secret(this.knownValue!);
    return this.output;
  }
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
  /**
   * Values known now, encoded once for the size check and reused by the plan: by declaration index,
   * undefined where a value comes from another resource.
   */
  known: KnownValues;
}

/** An encoded value known at planning time and its UTF-8 size. */
interface KnownValue {
  encoded: string;
  bytes: number;
}

interface KnownValues {
  connections: Array<KnownValue | undefined>;
  variables: Array<KnownValue | undefined>;
  config: Array<KnownValue | undefined>;
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
  const ready = (field: unknown) => field === undefined || isKnown(field);
  return ready(conn.host) &&
    ready(conn.port) &&
    ready(conn.schema) &&
    ready(conn.login) &&
    ready(conn.password) &&
    ready(conn.extra)
    ? (conn as unknown as ResolvedConnection)
    : undefined;
}

const sizeRule = (profile: BackendProfile, bytes: number) =>
  `the encoded value is ${bytes} bytes; ${profile.title} stores at most ${profile.maxValueBytes}`;

function oversize(profile: BackendProfile, encoded: string): number {
  const bytes = utf8Bytes(encoded);
  return profile.maxValueBytes !== undefined && bytes > profile.maxValueBytes ? bytes : 0;
}

/** Encodes a value known now once, for both the size check and the plan; the path is built only on failure. */
function knownValue(
  profile: BackendProfile,
  encoded: string,
  path: () => string,
  problems: Problems,
): KnownValue {
  const bytes = utf8Bytes(encoded);
  if (profile.maxValueBytes !== undefined && bytes > profile.maxValueBytes)
    problems.add(path(), sizeRule(profile, bytes));
  return { encoded, bytes };
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

  const declarations = args.declarations;
  const known: KnownValues = {
    connections: (declarations.connections ?? []).map((conn) => {
      const resolved = knownConnection(conn);
      return resolved
        ? knownValue(
            profile,
            profile.encodeConnection(resolved, format),
            () => `connections[${conn.conn_id}]`,
            problems,
          )
        : undefined;
    }),
    variables: (declarations.variables ?? []).map((variable) =>
      isKnown(variable.value)
        ? knownValue(
            profile,
            profile.encodeScalar(variable.value),
            () => `variables[${variable.key}]`,
            problems,
          )
        : undefined,
    ),
    config: (declarations.config ?? []).map((option) =>
      isKnown(option.value)
        ? knownValue(
            profile,
            profile.encodeScalar(option.value),
            () => `config[${option.section}.${option.option}]`,
            problems,
          )
        : undefined,
    ),
  };
  return problems.list.length > before
    ? undefined
    : { profile, layout, version, format, context: { version, format }, ids, known };
}

/**
 * Connections that are some alternating-users rotation's master: stored for the rotation function,
 * which creates the clone login with them. No backend lets Airflow read them.
 */
export function rotationMasterIds(connections: readonly ConnectionDeclaration[]): ReadonlySet<string> {
  const masters = new Set<string>();
  for (const c of connections)
    if (c?.rotation?.strategy === "alternating-users" && c.rotation.masterConnId !== undefined)
      masters.add(c.rotation.masterConnId);
  return masters;
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
  const { profile, layout, version, format, context, ids, known } = checked;

  // Values known now are encoded now (once, by the check) and become one secret Output each only when
  // a store asks for `value`; Output chains are built only for values that come from other
  // resources. This keeps large environments close to raw provider code.
  const secrets: PlannedSecret[] = [];
  /** Every value by storage name, in the plan's order: the encoded string, or undefined while pending. */
  const values = new Map<string, string | undefined>();
  let pendingValues = 0;
  const knownConnections: Array<[string, ResolvedConnection]> = [];
  const pendingConnections: Array<pulumi.Output<[string, ResolvedConnection]>> = [];
  const add = (
    kind: SecretKind,
    id: string,
    value: KnownValue | (() => pulumi.Output<string>),
    connection?: ConnectionDeclaration,
    description?: string,
  ) => {
    const name = profile.storageName(layout, kind, id);
    const planned = new Planned(
      kind,
      id,
      name,
      value,
      connection,
      description !== undefined && description !== "" && profile.descriptionInStore !== undefined
        ? description
        : undefined,
    );
    secrets.push(planned);
    if (planned.knownValue !== undefined) values.set(name, planned.knownValue);
    else {
      values.set(name, undefined);
      pendingValues++;
    }
  };

  const later = (encoded: pulumi.Output<string>, path: string) =>
    pulumi.secret(encoded.apply(enforceSizeLater(profile, path)));
  const laterScalar = (kind: "variable" | "config", value: pulumi.Input<string>, path: string) => {
    const encoded = pulumi.output(value).apply((resolved) => {
      const problems = new Problems();
      scalarValueProblems(kind, resolved, `${path}.value`, profile, problems);
      throwIfAnyLater(problems);
      return profile.encodeScalar(resolved);
    });
    return () => later(encoded, path);
  };
  const connections = args.declarations.connections ?? [];
  for (let i = 0; i < connections.length; i++) {
    const conn = connections[i];
    const knownNow = known.connections[i];
    if (knownNow !== undefined) {
      knownConnections.push([conn.conn_id, conn as unknown as ResolvedConnection]);
      add("connection", conn.conn_id, knownNow, conn, conn.description);
    } else {
      const resolved = resolvedConnection(conn);
      pendingConnections.push(resolved.apply((c) => [conn.conn_id, c] as [string, ResolvedConnection]));
      const path = `connections[${conn.conn_id}]`;
      const encoded = resolved.apply((c) => {
        throwIfAnyLater(laterConnectionProblems(c, path, profile, context));
        return profile.encodeConnection(c, format);
      });
      add("connection", conn.conn_id, () => later(encoded, path), conn, conn.description);
    }
  }
  const variables = args.declarations.variables ?? [];
  for (let i = 0; i < variables.length; i++) {
    const variable = variables[i];
    const value = known.variables[i] ?? laterScalar("variable", variable.value, `variables[${variable.key}]`);
    add("variable", variable.key, value, undefined, variable.description);
  }
  const config = args.declarations.config ?? [];
  for (let i = 0; i < config.length; i++) {
    const option = config[i];
    const value =
      known.config[i] ?? laterScalar("config", option.value, `config[${option.section}.${option.option}]`);
    add("config", configKey(option, profile.kind), value);
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
      // Built without a prototype (a dictionary from the start, not thousands of shape changes);
      // `pulumi.secret` hands stores its own plain copy.
      const byName = (later?: ReadonlyMap<string, string>) => {
        const all: Record<string, string> = Object.create(null);
        for (const [name, value] of values) all[name] = value ?? later!.get(name)!;
        return all;
      };
      if (pendingValues === 0) return pulumi.secret(byName());
      const pending = secrets.filter((s) => s.knownBytes === undefined);
      // Secret before the map is built (an apply keeps it secret): wrapping the finished map instead
      // would walk and copy every value once more.
      return pulumi
        .secret(pulumi.all(pending.map((s) => s.value)))
        .apply((resolved) => byName(new Map(pending.map((s, i) => [s.name, resolved[i]]))));
    },
    connectionsImportFile() {
      const render = (pending: Array<[string, ResolvedConnection]>) =>
        connectionsImportFileOf(pending.length === 0 ? knownConnections : [...knownConnections, ...pending]);
      if (pendingConnections.length === 0) return pulumi.secret(render([]));
      return pulumi.secret(pulumi.all(pendingConnections).apply(render));
    },
  };
}
