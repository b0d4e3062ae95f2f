import * as pulumi from "@pulumi/pulumi";
import { BackendProfile, ConnectionFormat, SecretsLayout } from "./backends";
import {
  ConfigDeclaration,
  ConnectionDeclaration,
  SecretKind,
  SecretsDeclarations,
  VariableDeclaration,
} from "./declarations";
import { Problems, checkKnownKeys } from "./problems";
import { AIRFLOW_CONNECTION_FIELDS } from "./serialize";
import { configKey } from "./sensitiveConfig";
import {
  canonicalConnType,
  changedByEnvExpansion,
  hasLoneSurrogate,
  hostSurvivesUri,
  jsonProblem,
} from "./fidelity";
import { AirflowVersionRules, SUPPORTED_AIRFLOW_VERSIONS, linesWhereSensitive } from "./versions";
import { ROTATION_STRATEGIES, isRotationStrategy } from "../rotation/strategy";

/**
 * Airflow's conn_id rule (`airflow.models.connection.RE_SANITIZE_CONN_ID`, at most 250). Airflow 3
 * uses Python's `re`, whose `\w` is Unicode-aware, hence `\p{L}\p{N}_`.
 */
export const CONN_ID_PATTERN = /^[\p{L}\p{N}_#!()\-.:/\\]{1,250}$/u;
/** Airflow 2.x compiles the same rule with re2, whose `\w` is ASCII-only. */
export const ASCII_CONN_ID_PATTERN = /^[A-Za-z0-9_#!()\-.:/\\]{1,250}$/;
/** Environment names end up in paths, ids and tags of every store. */
export const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
/** conn_type must be a URI scheme once `_` is written as `-`. */
const CONN_TYPE_PATTERN = /^[a-z][a-z0-9_+.-]*$/i;
/** Store description fields' limits, where a description Airflow drops is kept instead. */
const MAX_DESCRIPTION_CHARS = 1024;
const VARIABLE_KEY_PATTERN = /^[\p{L}\p{N}_.\-/:]{1,250}$/u;
const CONFIG_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
/** The keys a connection declaration may have: Airflow's fields plus this library's `rotation` and `critical`. */
const CONNECTION_KEYS: ReadonlySet<string> = new Set([
  "conn_id",
  ...AIRFLOW_CONNECTION_FIELDS,
  "rotation",
  "critical",
]);

/** A value known now (neither an Output nor a Promise) can be checked before any resource exists. */
export function isKnown<T>(value: pulumi.Input<T> | undefined): value is T {
  // A string, number or boolean is known as it is (the common case, thousands of times per synth).
  const type = typeof value;
  if (type === "string" || type === "number" || type === "boolean") return true;
  return value !== undefined && !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/**
 * `problems.check` with the field path `{path}.{field}` built only on failure: these checks run for
 * every field of every declaration, thousands of times per synth, and nearly all pass.
 */
function checkAt(
  problems: Problems,
  ok: boolean,
  path: string,
  field: string,
  rule: string | (() => string),
): boolean {
  if (!ok) problems.add(`${path}.${field}`, typeof rule === "function" ? rule() : rule);
  return ok;
}

/** A connection's string fields. */
const STRING_FIELDS = ["host", "schema", "login", "password", "description"] as const;

/**
 * How the declarations will be read: the target line and the stored connection form. Without it
 * (version unknown or invalid) only the version-independent rules run.
 */
export interface ReadContext {
  version: AirflowVersionRules;
  format: ConnectionFormat;
}

export interface DeclaredId {
  kind: SecretKind;
  id: string;
  path: string;
}

export function validateEnvironment(environment: string, problems: Problems): void {
  problems.check(
    typeof environment === "string" && ENVIRONMENT_PATTERN.test(environment),
    "environment",
    `must be 1-20 lowercase letters, digits or -, starting with a letter (got "${environment}")`,
  );
}

/** Returns whether the conn_id itself is valid (backend naming is checked only for valid ids). */
function validateConnection(
  conn: ConnectionDeclaration,
  path: string,
  problems: Problems,
  profile: BackendProfile,
  context: ReadContext | undefined,
): boolean {
  const id = conn.conn_id;
  let idValid = false;
  if (checkAt(problems, typeof id === "string" && id.length > 0, path, "conn_id", "is required")) {
    idValid = checkAt(
      problems,
      CONN_ID_PATTERN.test(id) && !hasLoneSurrogate(id),
      path,
      "conn_id",
      () => `must match Airflow's conn_id rule ^[\\w#!()\\-.:/\\\\]{1,250}$ (got "${id}")`,
    );
    if (idValid && context?.version.asciiConnIds) {
      idValid = checkAt(
        problems,
        ASCII_CONN_ID_PATTERN.test(id),
        path,
        "conn_id",
        () =>
          `Airflow ${context.version.line} checks conn_ids with re2, whose \\w is ASCII-only, and reads this one back with conn_id None: use ASCII letters, digits and _#!()-.:/\\ (non-ASCII ids work from Airflow 3.0) (got "${id}")`,
      );
    }
  }
  if (
    checkAt(
      problems,
      typeof conn.conn_type === "string" && conn.conn_type.length > 0,
      path,
      "conn_type",
      "is required (Airflow 3 workers refuse connections without one)",
    )
  ) {
    if (
      checkAt(
        problems,
        CONN_TYPE_PATTERN.test(conn.conn_type),
        path,
        "conn_type",
        "must be a URI scheme: a letter, then letters, digits, _, +, . or -",
      )
    ) {
      const canonical = canonicalConnType(conn.conn_type);
      checkAt(
        problems,
        conn.conn_type === canonical,
        path,
        "conn_type",
        // The value is never quoted (a secret typed into the wrong field must not be printed back);
        // the canonical spelling is named only when it is a well-known type, which no secret is.
        () =>
          `is not in the form Airflow reads back: it normalises conn_type on read (lower case, postgresql as postgres, - as _), so write it in that form${WELL_KNOWN_CONN_TYPES.has(canonical) ? `: write "${canonical}"` : ""}`,
      );
    }
  }
  if (isKnown(conn.port)) {
    checkAt(
      problems,
      Number.isInteger(conn.port) && conn.port >= 1 && conn.port <= 65535,
      path,
      "port",
      () => `must be an integer from 1 to 65535 (got ${JSON.stringify(conn.port)})`,
    );
  }
  for (const field of STRING_FIELDS) {
    const value = conn[field];
    if (isKnown(value)) {
      if (typeof value !== "string")
        problems.add(`${path}.${field}`, `must be a string (got ${typeof value})`);
    }
  }
  checkConnectionValues(conn, path, problems, profile, context);
  if (isKnown(conn.host) && typeof conn.host === "string") {
    const host = conn.host;
    checkAt(problems, !/\s/.test(host), path, "host", () => `must not contain whitespace (got "${host}")`);
  }
  if (typeof conn.description === "string" && conn.description !== "" && context) {
    const lostBecause = descriptionLoss(profile, context.format);
    if (lostBecause !== undefined) {
      if (profile.descriptionInStore === undefined) {
        problems.add(
          `${path}.description`,
          `${lostBecause}, and ${profile.title} has no other place for it: remove it${context.format === "uri" ? ' or use airflow.connectionFormat "json"' : ""}`,
        );
      } else {
        checkAt(
          problems,
          conn.description.length <= MAX_DESCRIPTION_CHARS,
          path,
          "description",
          `${lostBecause}, so it is kept as ${profile.descriptionInStore}, which holds at most ${MAX_DESCRIPTION_CHARS} characters`,
        );
      }
    }
  }
  if (isKnown(conn.extra)) {
    if (
      checkAt(
        problems,
        conn.extra !== null && typeof conn.extra === "object" && !Array.isArray(conn.extra),
        path,
        "extra",
        "must be a JSON object (Airflow's extra_dejson is a dict)",
      )
    ) {
      const why = jsonProblem(conn.extra);
      checkAt(
        problems,
        why === undefined,
        path,
        "extra",
        () => `${why}: Airflow reads extra as JSON, so it must be plain JSON`,
      );
      if ("__extra__" in conn.extra && context?.format === "uri") {
        problems.add(
          `${path}.extra.__extra__`,
          'is reserved in the URI form (Airflow reads it as the whole extra): rename the key or use airflow.connectionFormat "json"',
        );
      }
    }
  }
  if (conn.rotation !== undefined) validateRotation(conn, `${path}.rotation`, problems);
  checkAt(
    problems,
    conn.critical === undefined || typeof conn.critical === "boolean",
    path,
    "critical",
    "must be true or false",
  );
  for (const key of Object.keys(conn)) {
    if (!CONNECTION_KEYS.has(key)) {
      problems.add(
        `${path}.${key}`,
        `is not an Airflow connection field (allowed: ${[...CONNECTION_KEYS].join(", ")})`,
      );
    }
  }
  return idValid;
}

/** Why Airflow would not read a connection's description back, or undefined when it does. */
function descriptionLoss(profile: BackendProfile, format: ConnectionFormat): string | undefined {
  if (format === "uri") return "the URI form has no description field, so Airflow would read none";
  if (!profile.connectionKeys.includes("description"))
    return `${profile.title}'s backend keeps only the connection fields of a JSON secret and drops description`;
  return undefined;
}

/**
 * The value rules of one connection that hold for values known now and, through `laterProblems`, for
 * values that resolve later. Messages never include a login, password or extra value.
 */
function checkConnectionValues(
  conn: Partial<Record<"host" | "schema" | "login" | "password" | "description", unknown>>,
  path: string,
  problems: Problems,
  profile: BackendProfile,
  context: ReadContext | undefined,
): void {
  for (const field of STRING_FIELDS) {
    const value = conn[field];
    if (typeof value !== "string") continue;
    checkAt(
      problems,
      !hasLoneSurrogate(value),
      path,
      field,
      "contains an unpaired UTF-16 surrogate, which has no UTF-8 form: no store can hold it",
    );
    if (profile.kind === "env")
      checkAt(
        problems,
        !value.includes("\0"),
        path,
        field,
        "contains a NUL character, which no environment variable can hold",
      );
  }
  if (typeof conn.host === "string" && context?.format === "uri") {
    const host = conn.host;
    checkAt(
      problems,
      hostSurvivesUri(host),
      path,
      "host",
      () =>
        `Airflow's URI parser (urlsplit().hostname) lower-cases the host and would read "${host}" back as "${host.toLowerCase()}": write "${host.toLowerCase()}" or use airflow.connectionFormat "json"`,
    );
  }
}

/**
 * Problems with a connection whose values resolved only after planning (they came from other
 * resources); the plan throws them before the value is stored.
 */
export function laterConnectionProblems(
  conn: Partial<Record<"host" | "schema" | "login" | "password" | "description", unknown>> & {
    extra?: unknown;
  },
  path: string,
  profile: BackendProfile,
  context: ReadContext,
): Problems {
  const problems = new Problems();
  checkConnectionValues(conn, path, problems, profile, context);
  if (conn.extra !== undefined && conn.extra !== null) {
    const why = jsonProblem(conn.extra);
    problems.check(
      why === undefined,
      `${path}.extra`,
      () => `${why}: Airflow reads extra as JSON, so it must be plain JSON`,
    );
    if (typeof conn.extra === "object" && "__extra__" in (conn.extra as object) && context.format === "uri")
      problems.add(
        `${path}.extra.__extra__`,
        "is reserved in the URI form (Airflow reads it as the whole extra)",
      );
  }
  return problems;
}

/** Rules for a variable or config value (never echoed: values are secret). */
export function scalarValueProblems(
  kind: "variable" | "config",
  value: string,
  path: string,
  profile: BackendProfile,
  problems: Problems,
): void {
  problems.check(
    !hasLoneSurrogate(value),
    path,
    "contains an unpaired UTF-16 surrogate, which has no UTF-8 form: no store can hold it",
  );
  if (profile.kind === "env") {
    problems.check(
      !value.includes("\0"),
      path,
      "contains a NUL character, which no environment variable can hold",
    );
    if (kind === "config") {
      problems.check(
        !changedByEnvExpansion(value),
        path,
        "Airflow expands $NAME, ${NAME} and a leading ~ in AIRFLOW__SECTION__OPTION values (expand_env_var), so this value would be read changed: use a secrets backend, whose {option}_secret is read verbatim",
      );
    }
  } else if (kind === "config") {
    problems.check(
      value !== "",
      path,
      "is empty: Airflow ignores an empty {option}_secret value and uses the default",
    );
  }
}

/** conn_types of widely used providers: the only canonical spellings a message names. */
const WELL_KNOWN_CONN_TYPES = new Set([
  "aws",
  "azure",
  "azure_data_lake",
  "databricks",
  "dbt_cloud",
  "docker",
  "elasticsearch",
  "email",
  "fs",
  "ftp",
  "generic",
  "google_cloud_platform",
  "grpc",
  "hive_cli",
  "hiveserver2",
  "http",
  "imap",
  "jdbc",
  "jira",
  "kafka",
  "kubernetes",
  "mongo",
  "mssql",
  "mysql",
  "odbc",
  "openlineage",
  "opsgenie",
  "oracle",
  "pagerduty",
  "postgres",
  "presto",
  "redis",
  "samba",
  "sftp",
  "slack",
  "slackwebhook",
  "smtp",
  "snowflake",
  "spark",
  "sqlite",
  "ssh",
  "trino",
  "vertica",
  "wasb",
]);

function validateRotation(conn: ConnectionDeclaration, path: string, problems: Problems): void {
  const rotation = conn.rotation!;
  checkKnownKeys(rotation, ["strategy", "everyDays", "masterConnId"], path, problems);
  problems.check(
    isRotationStrategy(rotation.strategy),
    `${path}.strategy`,
    `must be ${ROTATION_STRATEGIES.map((s) => `"${s}"`).join(" or ")}`,
  );
  problems.check(
    Number.isInteger(rotation.everyDays) && rotation.everyDays >= 1 && rotation.everyDays <= 365,
    `${path}.everyDays`,
    () => `must be a whole number of days from 1 to 365 (got ${JSON.stringify(rotation.everyDays)})`,
  );
  if (rotation.strategy === "alternating-users") {
    problems.check(
      typeof rotation.masterConnId === "string" && rotation.masterConnId.length > 0,
      `${path}.masterConnId`,
      "is required for alternating-users: the master credential creates the clone user",
    );
  }
  problems.check(conn.password !== undefined, `${path}`, "a rotated connection needs a password to rotate");
}

function validateVariable(
  variable: VariableDeclaration,
  path: string,
  problems: Problems,
  profile: BackendProfile,
): boolean {
  checkKnownKeys(variable, ["key", "value", "description"], path, problems);
  if (typeof variable.description === "string" && variable.description !== "") {
    if (profile.descriptionInStore === undefined) {
      problems.add(
        `${path}.description`,
        `Airflow reads a variable from a secrets backend as its value alone, and ${profile.title} has no other place for a description: remove it`,
      );
    } else {
      problems.check(
        variable.description.length <= MAX_DESCRIPTION_CHARS && !hasLoneSurrogate(variable.description),
        `${path}.description`,
        `is kept as ${profile.descriptionInStore}, which holds at most ${MAX_DESCRIPTION_CHARS} characters of valid Unicode`,
      );
    }
  }
  let keyValid = false;
  if (
    problems.check(typeof variable.key === "string" && variable.key.length > 0, `${path}.key`, "is required")
  ) {
    keyValid = problems.check(
      VARIABLE_KEY_PATTERN.test(variable.key),
      `${path}.key`,
      () => `must be 1-250 letters, digits or _.-/: (got "${variable.key}")`,
    );
  }
  problems.check(variable.value !== undefined, `${path}.value`, "is required");
  if (isKnown(variable.value)) {
    const isString = problems.check(
      typeof variable.value === "string",
      `${path}.value`,
      "must be a string (Airflow variables are strings; JSON-encode structured values)",
    );
    if (isString) scalarValueProblems("variable", variable.value, `${path}.value`, profile, problems);
  }
  return keyValid;
}

function validateConfig(
  option: ConfigDeclaration,
  path: string,
  problems: Problems,
  profile: BackendProfile,
  context: ReadContext | undefined,
): boolean {
  checkKnownKeys(option, ["section", "option", "key", "value"], path, problems);
  const namesOk =
    problems.check(
      CONFIG_NAME_PATTERN.test(option.section ?? ""),
      `${path}.section`,
      `must be a lowercase Airflow section name (got "${option.section}")`,
    ) &&
    problems.check(
      CONFIG_NAME_PATTERN.test(option.option ?? ""),
      `${path}.option`,
      `must be a lowercase Airflow option name (got "${option.option}")`,
    );
  if (namesOk) {
    const name = `${option.section}.${option.option}`;
    const lines = linesWhereSensitive(name);
    if (lines.length === 0) {
      problems.add(
        path,
        `[${option.section}] ${option.option} is not a sensitive option in any supported Airflow version (${SUPPORTED_AIRFLOW_VERSIONS.join(", ")}), and Airflow reads {option}_secret only for those`,
      );
    } else if (context && !context.version.sensitiveOptions.has(name)) {
      problems.add(
        path,
        `Airflow ${context.version.line} does not treat [${option.section}] ${option.option} as sensitive (or has no such option), so it would ignore ${option.option}_secret: it is sensitive in Airflow ${lines.join(", ")}`,
      );
    }
  }
  if (option.key !== undefined) {
    problems.check(
      /^[A-Za-z0-9_-]{1,128}$/.test(option.key),
      `${path}.key`,
      `must be 1-128 letters, digits, _ or - (got "${option.key}")`,
    );
  }
  if (problems.check(option.value !== undefined, `${path}.value`, "is required") && isKnown(option.value)) {
    if (problems.check(typeof option.value === "string", `${path}.value`, "must be a string"))
      scalarValueProblems("config", option.value, `${path}.value`, profile, problems);
  }
  return namesOk;
}

/** Label for a declaration in messages: by id where it has one, so messages survive reordering. */
function label(list: string, index: number, id: string | undefined): string {
  return typeof id === "string" && id.length > 0 ? `${list}[${id}]` : `${list}[${index}]`;
}

/**
 * Every rule that can be checked before resources exist: Airflow's id and field rules, the
 * backend's naming and collision rules, duplicates. Returns the declared ids for the plan.
 */
export function validateDeclarations(
  declarations: SecretsDeclarations,
  profile: BackendProfile,
  layout: SecretsLayout,
  problems: Problems,
  context?: ReadContext,
): DeclaredId[] {
  const ids: DeclaredId[] = [];
  const lists: Array<[string, unknown]> = [
    ["connections", declarations.connections],
    ["variables", declarations.variables],
    ["config", declarations.config],
  ];
  for (const [name, list] of lists) {
    if (list !== undefined && !Array.isArray(list)) problems.add(name, "must be a list");
  }
  const listOf = <T>(list: T[] | undefined): T[] => (Array.isArray(list) ? list : []);
  const connections = listOf(declarations.connections);
  connections.forEach((conn, i) => {
    const path = label("connections", i, conn?.conn_id);
    if (validateConnection(conn ?? ({} as ConnectionDeclaration), path, problems, profile, context))
      ids.push({ kind: "connection", id: conn.conn_id, path: `${path}.conn_id` });
  });
  listOf(declarations.variables).forEach((variable, i) => {
    const path = label("variables", i, variable?.key);
    if (validateVariable(variable ?? ({} as VariableDeclaration), path, problems, profile))
      ids.push({ kind: "variable", id: variable.key, path: `${path}.key` });
  });
  listOf(declarations.config).forEach((option, i) => {
    const path = label("config", i, option ? `${option.section}.${option.option}` : undefined);
    if (validateConfig(option ?? ({} as ConfigDeclaration), path, problems, profile, context))
      ids.push({ kind: "config", id: configKey(option, profile.kind), path });
  });

  // Rotation masters must be declared connections.
  const masters = connections.filter((conn) => conn?.rotation?.masterConnId !== undefined);
  if (masters.length > 0) {
    const connIds = new Set(ids.filter((d) => d.kind === "connection").map((d) => d.id));
    for (const conn of masters) {
      const master = conn.rotation!.masterConnId!;
      if (!connIds.has(master)) {
        problems.add(
          `connections[${conn.conn_id}].rotation.masterConnId`,
          `names "${master}", which is not a declared connection`,
        );
      }
    }
  }

  const seenIds: Record<SecretKind, Map<string, string>> = {
    connection: new Map(),
    variable: new Map(),
    config: new Map(),
  };
  const seenNames = new Map<string, DeclaredId>();
  for (const declared of ids) {
    const earlier = seenIds[declared.kind].get(declared.id);
    if (earlier !== undefined) {
      problems.add(declared.path, `duplicates ${earlier}: each ${declared.kind} id must be declared once`);
      continue;
    }
    seenIds[declared.kind].set(declared.id, declared.path);
    profile.checkId?.(declared.kind, declared.id, declared.path, problems);
    const name = profile.storageName(layout, declared.kind, declared.id);
    profile.checkStorageName(name, declared.path, problems);
    const key = profile.collisionKey(name);
    const clash = seenNames.get(key);
    if (clash !== undefined) {
      const clashName = profile.storageName(layout, clash.kind, clash.id);
      problems.add(
        declared.path,
        `${profile.title} stores this as "${name}", the same secret as ${clash.path} ("${clashName}"); rename one`,
      );
    } else {
      seenNames.set(key, declared);
    }
  }
  return ids;
}

/**
 * Structural checks on a layout: string prefixes, distinct per kind (or a variable and a connection
 * could be the same secret), and the separator the backend class really uses.
 */
export function validateLayout(layout: SecretsLayout, problems: Problems, profile?: BackendProfile): void {
  const prefixKeys = ["connectionsPrefix", "variablesPrefix", "configPrefix"] as const;
  const seen = new Map<string, string>();
  for (const key of prefixKeys) {
    const prefix = layout[key];
    if (!problems.check(typeof prefix === "string", `layout.${key}`, "must be a string")) continue;
    const earlier = seen.get(prefix);
    problems.check(
      earlier === undefined || profile?.kind === "env",
      `layout.${key}`,
      () => `must differ from layout.${earlier} ("${prefix}"): kinds sharing a prefix share secret names`,
    );
    seen.set(prefix, key);
  }
  if (!problems.check(typeof layout.sep === "string", "layout.sep", "must be a string")) return;
  if (profile?.fixedSep !== undefined) {
    problems.check(
      layout.sep === profile.fixedSep,
      "layout.sep",
      () =>
        `${profile.title} always joins with "${profile.fixedSep}" (Airflow's class takes no sep); got "${layout.sep}"`,
    );
  }
}
