/**
 * Reads what `airflow connections export` (json, yaml, env; URI or JSON values) and `airflow
 * variables export` write, in the Airflow 2 and Airflow 3 shapes, into plain connection fields and
 * variable values exactly as Airflow holds them. Pure and dependency-light: the secret extractor
 * the import script runs is bundled from this module, so both read a file the same way.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { normalizeConnType, parseAirflowUri, pythonJsonDumps } from "./airflowUri";
import type { ResolvedConnection } from "../../components/airflow";

export type ExportFormat = "json" | "yaml" | "env";

/** A connection's fields as Airflow holds them; empty and null fields are left out. */
export type ExportedFields = Partial<ResolvedConnection>;

export interface ExportedConnection {
  conn_id: string;
  file: string;
  /** `fields`: a json/yaml export entry; `uri` / `json`: an env export line. */
  form: "fields" | "uri" | "json";
  /** Undefined when Airflow itself could not read the entry (see `problem`). */
  fields?: ExportedFields;
  problem?: string;
}

export interface ExportedVariable {
  key: string;
  file: string;
  /** The string Airflow stores (non-string JSON values as `json.dumps` writes them, as `variables import` does). */
  value: string;
  description?: string;
}

export interface ExportFile {
  file: string;
  format: ExportFormat;
  kind: "connections" | "variables";
  connections: ExportedConnection[];
  variables: ExportedVariable[];
}

/** The keys `load_connections_dict` accepts in a json/yaml entry (Connection's parameters + extra_dejson). */
const ENTRY_KEYS = new Set([
  "conn_id",
  "conn_type",
  "description",
  "host",
  "login",
  "password",
  "schema",
  "port",
  "extra",
  "extra_dejson",
  "uri",
]);

export function exportFormatOf(file: string): ExportFormat {
  const extension = path.extname(file).toLowerCase();
  if (extension === ".json") return "json";
  if (extension === ".yaml" || extension === ".yml") return "yaml";
  if (extension === ".env") return "env";
  throw new Error(
    `${file}: unsupported export file type "${extension}" (expected .json, .yaml, .yml or .env)`,
  );
}

export function readExportFile(file: string): ExportFile {
  return parseExport(file, fs.readFileSync(file, "utf8"));
}

export function parseExport(file: string, text: string): ExportFile {
  const format = exportFormatOf(file);
  if (format === "env") {
    return { file, format, kind: "connections", connections: parseEnvExport(file, text), variables: [] };
  }
  let document: unknown;
  try {
    // PyYAML (which Airflow's export uses) writes YAML 1.1: read it with the 1.1 rules.
    document = format === "json" ? JSON.parse(text) : parseYaml(text, { version: "1.1" });
  } catch (error) {
    throw new Error(`${file}: not valid ${format.toUpperCase()}${whereParseFailed(error)}`);
  }
  if (document === null || document === undefined) document = {};
  if (typeof document !== "object" || Array.isArray(document))
    throw new Error(`${file}: expected a mapping of conn_id or variable key to its value`);
  const entries = Object.entries(document as Record<string, unknown>);
  const isConnections =
    entries.length > 0 && entries.every(([, v]) => isPlainObject(v) && ("conn_type" in v || "uri" in v));
  if (isConnections) {
    return {
      file,
      format,
      kind: "connections",
      connections: entries.map(([id, value]) =>
        connectionFromEntry(file, id, value as Record<string, unknown>),
      ),
      variables: [],
    };
  }
  return {
    file,
    format,
    kind: "variables",
    connections: [],
    variables: entries.map(([key, value]) => variableFromEntry(file, key, value)),
  };
}

/** `airflow variables export`: `{key: value}` (Airflow 2) or `{key: {value, description}}` (Airflow 3). */
function variableFromEntry(file: string, key: string, raw: unknown): ExportedVariable {
  let value = raw;
  let description: string | undefined;
  if (
    isPlainObject(raw) &&
    "value" in raw &&
    Object.keys(raw).every((k) => k === "value" || k === "description")
  ) {
    value = raw.value;
    if (typeof raw.description === "string" && raw.description !== "") description = raw.description;
  }
  return {
    key,
    file,
    value: typeof value === "string" ? value : pythonJsonDumps(value),
    ...(description !== undefined ? { description } : {}),
  };
}

/** `conn_id=<uri or json>` lines, as `connections export --file-format env` writes them. */
function parseEnvExport(file: string, text: string): ExportedConnection[] {
  const out: ExportedConnection[] = [];
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.indexOf("=");
    if (cut < 0) {
      out.push({ conn_id: line, file, form: "uri", problem: 'not a "conn_id=value" line' });
      continue;
    }
    const id = line.slice(0, cut).trim();
    const value = line.slice(cut + 1).trim();
    out.push(
      value.startsWith("{") ? connectionFromJson(file, id, value) : connectionFromUri(file, id, value),
    );
  }
  return out;
}

function connectionFromUri(file: string, id: string, uri: string): ExportedConnection {
  try {
    const parsed = parseAirflowUri(uri);
    // Airflow's CLI refuses these too (`_valid_uri`): without a scheme there is no conn_type.
    if (!parsed.conn_type) throw new Error("the URI has no scheme (conn_type)");
    return { conn_id: id, file, form: "uri", fields: normalizeFields({ ...parsed }) };
  } catch (error) {
    return {
      conn_id: id,
      file,
      form: "uri",
      problem: `Airflow cannot read the URI: ${(error as Error).message}`,
    };
  }
}

/** `Connection.from_json`: conn_type normalised, extra as given, port as an integer. */
function connectionFromJson(file: string, id: string, value: string): ExportedConnection {
  try {
    const parsed = JSON.parse(value) as unknown;
    if (!isPlainObject(parsed)) throw new Error("the JSON value is not an object");
    const fields: Record<string, unknown> = { ...parsed };
    if (typeof fields.conn_type === "string" && fields.conn_type)
      fields.conn_type = normalizeConnType(fields.conn_type);
    return { conn_id: id, file, form: "json", fields: normalizeFields(fields, ENTRY_KEYS) };
  } catch (error) {
    const reason =
      error instanceof SyntaxError ? `not valid JSON${whereParseFailed(error)}` : (error as Error).message;
    return { conn_id: id, file, form: "json", problem: `Airflow cannot read the JSON value: ${reason}` };
  }
}

/** A json/yaml export entry, read as `load_connections_dict` builds `Connection(conn_id=…, **entry)`. */
function connectionFromEntry(file: string, id: string, entry: Record<string, unknown>): ExportedConnection {
  try {
    if (typeof entry.uri === "string" && entry.uri !== "") {
      const others = Object.keys(entry).filter((k) => k !== "uri" && k !== "conn_id" && entry[k] !== null);
      if (others.length > 0) throw new Error(`a uri cannot be combined with ${others.join(", ")}`);
      return { ...connectionFromUri(file, id, entry.uri), form: "fields" };
    }
    if ("conn_id" in entry && entry.conn_id !== null && entry.conn_id !== id)
      throw new Error(`its conn_id "${String(entry.conn_id)}" differs from its key`);
    const fields: Record<string, unknown> = { ...entry };
    if (fields.extra_dejson !== undefined) {
      if (fields.extra !== undefined && fields.extra !== null)
        throw new Error("has both extra and extra_dejson");
      fields.extra = fields.extra_dejson;
    }
    return { conn_id: id, file, form: "fields", fields: normalizeFields(fields, ENTRY_KEYS) };
  } catch (error) {
    return { conn_id: id, file, form: "fields", problem: (error as Error).message };
  }
}

/** Plain fields with empty values left out; throws where Airflow would refuse the connection. */
function normalizeFields(raw: Record<string, unknown>, allowed?: ReadonlySet<string>): ExportedFields {
  if (allowed) {
    const unknown = Object.keys(raw).filter((k) => !allowed.has(k));
    if (unknown.length > 0) throw new Error(`unknown connection keys ${unknown.join(", ")}`);
  }
  const fields: ExportedFields = {};
  for (const key of ["conn_type", "description", "host", "schema", "login", "password"] as const) {
    const value = raw[key];
    if (value === null || value === undefined || value === "") continue;
    if (typeof value !== "string") throw new Error(`${key} is a ${typeof value}, not a string`);
    fields[key] = value;
  }
  const port = raw.port;
  if (port !== null && port !== undefined && port !== "" && port !== 0) {
    const number =
      typeof port === "number" ? port : typeof port === "string" && /^\d+$/.test(port) ? Number(port) : NaN;
    if (!Number.isInteger(number)) throw new Error(`port ${JSON.stringify(port)} is not an integer`);
    fields.port = number;
  }
  const extra = raw.extra;
  if (extra !== null && extra !== undefined && extra !== "") {
    const parsed = extraObject(extra);
    if (typeof parsed === "string") throw new Error(`extra is ${parsed} (Airflow refuses it)`);
    const unsafe = unsafeNumberPath(parsed, "extra");
    if (unsafe)
      throw new Error(
        `${unsafe} is an integer beyond 2^53, which JavaScript and Pulumi config cannot carry exactly`,
      );
    if (Object.keys(parsed).length > 0) fields.extra = parsed;
  }
  return fields;
}

function unsafeNumberPath(value: unknown, at: string): string | undefined {
  if (typeof value === "number")
    return Number.isInteger(value) && !Number.isSafeInteger(value) ? at : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unsafeNumberPath(value[i], `${at}[${i}]`);
      if (found) return found;
    }
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const found = unsafeNumberPath(v, `${at}.${k}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Where a JSON or YAML parse failed, without the parser's message: those quote the text around the
 * error, which in an export file is often a password.
 */
function whereParseFailed(error: unknown): string {
  const linePos = (error as { linePos?: Array<{ line: number; col: number }> }).linePos;
  if (linePos?.[0]) return ` (line ${linePos[0].line}, column ${linePos[0].col})`;
  const position = /position (\d+)/.exec(String((error as Error).message));
  return position ? ` (at character ${position[1]})` : "";
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A connection's extra as Airflow takes it (`Connection._validate_extra`): a JSON object, given as
 * one or as its JSON text; otherwise why not.
 */
export function extraObject(extra: unknown): Record<string, unknown> | "not JSON" | "not a JSON object" {
  let parsed: unknown = extra;
  if (typeof extra === "string") {
    try {
      parsed = JSON.parse(extra);
    } catch {
      return "not JSON";
    }
  }
  return isPlainObject(parsed) ? parsed : "not a JSON object";
}

/** Where one secret value lives in an export file: what the import script hands the extractor. */
export interface SecretLocator {
  kind: "connection" | "variable";
  id: string;
  /** `password`, `extra` or `value`. */
  field: "password" | "extra" | "value";
  /** Inside extra: the keys down to the value. */
  path?: string[];
}

/** The one value a locator names, as a string (what `pulumi config set --secret` will store). */
export function locateSecret(exported: ExportFile, locator: SecretLocator): string {
  if (locator.kind === "variable") {
    const found = exported.variables.filter((v) => v.key === locator.id);
    if (found.length !== 1)
      throw new Error(`variable ${JSON.stringify(locator.id)} is not in ${exported.file} exactly once`);
    return found[0].value;
  }
  const found = exported.connections.filter((c) => c.conn_id === locator.id);
  if (found.length !== 1 || !found[0].fields)
    throw new Error(
      `connection ${JSON.stringify(locator.id)} is not readable in ${exported.file} exactly once`,
    );
  const fields = found[0].fields;
  let value: unknown = locator.field === "password" ? fields.password : fields.extra;
  for (const key of locator.path ?? [])
    value =
      isPlainObject(value) || Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
  if (typeof value !== "string")
    throw new Error(
      `connection ${JSON.stringify(locator.id)} has no string at ${[locator.field, ...(locator.path ?? [])].join(".")}`,
    );
  return value;
}
