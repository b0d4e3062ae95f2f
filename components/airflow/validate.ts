import * as pulumi from "@pulumi/pulumi";
import { BackendProfile, SecretsLayout } from "./backends";
import {
  ConfigDeclaration,
  ConnectionDeclaration,
  SecretKind,
  SecretsDeclarations,
  VariableDeclaration,
} from "./declarations";
import { Problems, checkKnownKeys } from "./problems";
import { AIRFLOW_CONNECTION_FIELDS } from "./serialize";
import { SENSITIVE_CONFIG_OPTIONS, configKey } from "./sensitiveConfig";

/**
 * Airflow's conn_id rule (`airflow.models.connection.RE_SANITIZE_CONN_ID`). Python's `\w` is
 * Unicode-aware, hence `\p{L}\p{N}_`.
 */
export const CONN_ID_PATTERN = /^[\p{L}\p{N}_#!()\-.:/\\]{1,250}$/u;
/** Environment names end up in paths, ids and tags of every store. */
export const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
/** conn_type must be a URI scheme once `_` is written as `-`. */
const CONN_TYPE_PATTERN = /^[a-z][a-z0-9_+.-]*$/i;
const VARIABLE_KEY_PATTERN = /^[\p{L}\p{N}_.\-/:]{1,250}$/u;
const CONFIG_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
/** The keys a connection declaration may have: Airflow's fields plus this library's `rotation`. */
const CONNECTION_KEYS: ReadonlySet<string> = new Set(["conn_id", ...AIRFLOW_CONNECTION_FIELDS, "rotation"]);

/** A value known now (neither an Output nor a Promise) can be checked before any resource exists. */
export function isKnown<T>(value: pulumi.Input<T> | undefined): value is T {
  return value !== undefined && !pulumi.Output.isInstance(value) && !(value instanceof Promise);
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
function validateConnection(conn: ConnectionDeclaration, path: string, problems: Problems): boolean {
  const id = conn.conn_id;
  let idValid = false;
  if (problems.check(typeof id === "string" && id.length > 0, `${path}.conn_id`, "is required")) {
    idValid = problems.check(
      CONN_ID_PATTERN.test(id),
      `${path}.conn_id`,
      () => `must match Airflow's conn_id rule ^[\\w#!()\\-.:/\\\\]{1,250}$ (got "${id}")`,
    );
  }
  if (
    problems.check(
      typeof conn.conn_type === "string" && conn.conn_type.length > 0,
      `${path}.conn_type`,
      "is required (Airflow 3 workers refuse connections without one)",
    )
  ) {
    problems.check(
      CONN_TYPE_PATTERN.test(conn.conn_type),
      `${path}.conn_type`,
      () => `must be a URI scheme: a letter, then letters, digits, _, +, . or - (got "${conn.conn_type}")`,
    );
  }
  if (isKnown(conn.port)) {
    problems.check(
      Number.isInteger(conn.port) && conn.port >= 1 && conn.port <= 65535,
      `${path}.port`,
      () => `must be an integer from 1 to 65535 (got ${JSON.stringify(conn.port)})`,
    );
  }
  for (const field of ["host", "schema", "login", "password", "description"] as const) {
    const value = conn[field];
    if (isKnown(value)) {
      if (typeof value !== "string")
        problems.add(`${path}.${field}`, `must be a string (got ${typeof value})`);
    }
  }
  if (isKnown(conn.host) && typeof conn.host === "string") {
    const host = conn.host;
    problems.check(!/\s/.test(host), `${path}.host`, () => `must not contain whitespace (got "${host}")`);
  }
  if (isKnown(conn.extra)) {
    problems.check(
      conn.extra !== null && typeof conn.extra === "object" && !Array.isArray(conn.extra),
      `${path}.extra`,
      "must be a JSON object (Airflow's extra_dejson is a dict)",
    );
    if (conn.extra !== null && typeof conn.extra === "object" && "__extra__" in conn.extra) {
      problems.add(`${path}.extra.__extra__`, "is reserved: Airflow's URI form reads it as the whole extra");
    }
  }
  if (conn.rotation !== undefined) validateRotation(conn, `${path}.rotation`, problems);
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

function validateRotation(conn: ConnectionDeclaration, path: string, problems: Problems): void {
  const rotation = conn.rotation!;
  checkKnownKeys(rotation, ["strategy", "everyDays", "masterConnId"], path, problems);
  problems.check(
    rotation.strategy === "single-user" || rotation.strategy === "alternating-users",
    `${path}.strategy`,
    () => `must be "single-user" or "alternating-users" (got "${rotation.strategy}")`,
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

function validateVariable(variable: VariableDeclaration, path: string, problems: Problems): boolean {
  checkKnownKeys(variable, ["key", "value", "description"], path, problems);
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
    problems.check(
      typeof variable.value === "string",
      `${path}.value`,
      "must be a string (Airflow variables are strings; JSON-encode structured values)",
    );
  }
  return keyValid;
}

function validateConfig(option: ConfigDeclaration, path: string, problems: Problems): boolean {
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
    problems.check(
      SENSITIVE_CONFIG_OPTIONS.has(`${option.section}.${option.option}`),
      `${path}`,
      `[${option.section}] ${option.option} is not a sensitive Airflow option, and Airflow reads {option}_secret only for those (${[...SENSITIVE_CONFIG_OPTIONS].sort().join(", ")})`,
    );
  }
  if (option.key !== undefined) {
    problems.check(
      /^[A-Za-z0-9_-]{1,128}$/.test(option.key),
      `${path}.key`,
      `must be 1-128 letters, digits, _ or - (got "${option.key}")`,
    );
  }
  problems.check(option.value !== undefined, `${path}.value`, "is required");
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
    if (validateConnection(conn ?? ({} as ConnectionDeclaration), path, problems))
      ids.push({ kind: "connection", id: conn.conn_id, path: `${path}.conn_id` });
  });
  listOf(declarations.variables).forEach((variable, i) => {
    const path = label("variables", i, variable?.key);
    if (validateVariable(variable ?? ({} as VariableDeclaration), path, problems))
      ids.push({ kind: "variable", id: variable.key, path: `${path}.key` });
  });
  listOf(declarations.config).forEach((option, i) => {
    const path = label("config", i, option ? `${option.section}.${option.option}` : undefined);
    if (validateConfig(option ?? ({} as ConfigDeclaration), path, problems))
      ids.push({ kind: "config", id: configKey(option, profile.kind), path });
  });

  // Rotation masters must be declared connections.
  const connIds = new Set(ids.filter((d) => d.kind === "connection").map((d) => d.id));
  for (const conn of connections) {
    const master = conn?.rotation?.masterConnId;
    if (master !== undefined && !connIds.has(master)) {
      problems.add(
        `connections[${conn.conn_id}].rotation.masterConnId`,
        `names "${master}", which is not a declared connection`,
      );
    }
  }

  const seenIds = new Map<string, string>();
  const seenNames = new Map<string, { path: string; name: string }>();
  for (const declared of ids) {
    const idKey = `${declared.kind}:${declared.id}`;
    const earlier = seenIds.get(idKey);
    if (earlier !== undefined) {
      problems.add(declared.path, `duplicates ${earlier}: each ${declared.kind} id must be declared once`);
      continue;
    }
    seenIds.set(idKey, declared.path);
    profile.checkId?.(declared.kind, declared.id, declared.path, problems);
    const name = profile.storageName(layout, declared.kind, declared.id);
    profile.checkStorageName(name, declared.path, problems);
    const key = profile.collisionKey(name);
    const clash = seenNames.get(key);
    if (clash !== undefined) {
      problems.add(
        declared.path,
        `${profile.title} stores this as "${name}", the same secret as ${clash.path} ("${clash.name}"); rename one`,
      );
    } else {
      seenNames.set(key, { path: declared.path, name });
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
