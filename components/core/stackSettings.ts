/**
 * A stack file's `airflow-secrets:` keys parsed in one pass: the top-level keys and declarations by
 * their schema, the selected backend's block by that backend's schema, unknown keys, another
 * backend's leftover block and look-alike namespaces (`airflow_secrets:`) reported together.
 */
import { z } from "zod";
import { Problems } from "../airflow/problems";
import { isProduction } from "./production";
import { parseSettings, parseSettingsSalvaging } from "./schema";
import {
  BACKEND_NAMES,
  BackendName,
  CONFIG_NAMESPACE,
  StackTopLevel,
  connectionDeclarationSchema,
  topLevelSchema,
  topLevelShape,
} from "./stackSchema";
import { backendSettingsSchema } from "../registry";
import { MirrorArgs, mirrorArgsFromBlock, mirrorSettingsSchema } from "./mirrorSchema";

/** Each backend's settings schema, by the name a stack selects (no provider SDK is loaded). */
export function backendSettingsSchemas(): Record<BackendName, z.ZodObject> {
  return Object.fromEntries(BACKEND_NAMES.map((name) => [name, backendSettingsSchema(name)])) as Record<
    BackendName,
    z.ZodObject
  >;
}

/** Keys the top-level schema declares (everything but the backend blocks). */
export const TOP_LEVEL_KEYS = Object.keys(topLevelShape);

/**
 * A namespace that reads like ours but is not (`airflow_secrets`, `AirflowSecrets`, `airflow-secret`):
 * Pulumi would hand its keys to nobody, so the stack would plan an empty environment and delete
 * every deployed secret.
 */
export function looksLikeNamespace(namespace: string): boolean {
  return namespace !== CONFIG_NAMESPACE && /^airflow[^a-z0-9]*secrets?$/i.test(namespace);
}

/** Problems for config keys (`namespace:key`) outside our namespace that look like it. */
export function checkNamespaces(keys: readonly string[], problems: Problems): void {
  for (const key of keys) {
    const namespace = key.includes(":") ? key.slice(0, key.indexOf(":")) : "";
    if (looksLikeNamespace(namespace))
      problems.add(
        key,
        `is outside the ${CONFIG_NAMESPACE}: namespace, so the program would never read it (write ${CONFIG_NAMESPACE}:${key.slice(namespace.length + 1)})`,
      );
  }
}

/**
 * How `connectionDeclarationSchema` treats each field of an accepted connection: a string, a safe
 * integer or a plain map, returned as given (optional fields may be absent). A field not listed here
 * (rotation, critical), or a value of another kind, sends the whole list through the schema.
 */
const PLAIN_CONNECTION_FIELDS: Readonly<Partial<Record<string, "string" | "int" | "map">>> = {
  conn_id: "string",
  conn_type: "string",
  description: "string",
  host: "string",
  port: "int",
  schema: "string",
  login: "string",
  password: "string",
  extra: "map",
};
/** The schema's key order, which its output keeps. */
const CONNECTION_KEY_ORDER = Object.keys(connectionDeclarationSchema.shape);

function plainValue(kind: "string" | "int" | "map", value: unknown): boolean {
  if (kind === "string") return typeof value === "string";
  if (kind === "int") return Number.isSafeInteger(value);
  return (
    typeof value === "object" &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    !Object.hasOwn(value, "__proto__") &&
    Object.getOwnPropertySymbols(value).length === 0
  );
}

/**
 * The connections as the schema would return them, when every one is plain (the usual stack file):
 * strings, a port, an `extra` map, nothing else. Parsing thousands of them with Zod costs more than
 * planning them; for these its result is known (each declaration with the schema's key order, the
 * `extra` map copied), so they are built directly. Anything else returns undefined and is parsed.
 */
export function plainConnections(list: unknown): Record<string, unknown>[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: Record<string, unknown>[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const conn = list[i] as Record<string, unknown>;
    if (typeof conn !== "object" || conn === null || Object.getPrototypeOf(conn) !== Object.prototype)
      return undefined;
    if (typeof conn.conn_id !== "string" || typeof conn.conn_type !== "string") return undefined;
    const parsed: Record<string, unknown> = {};
    let fields = 0;
    for (const key of CONNECTION_KEY_ORDER) {
      const value = conn[key];
      if (value === undefined) continue;
      const kind = PLAIN_CONNECTION_FIELDS[key];
      if (kind === undefined || !plainValue(kind, value)) return undefined;
      parsed[key] = kind === "map" ? { ...(value as Record<string, unknown>) } : value;
      fields++;
    }
    // A key the schema does not know, or one present as undefined: the schema decides.
    if (fields !== Object.keys(conn).length) return undefined;
    out[i] = parsed;
  }
  return out;
}

export interface ParsedStackSettings {
  topLevel: StackTopLevel;
  backend: BackendName;
  /** The backend's block as written (its backend parses it once, with its own schema). */
  backendSettings: unknown;
  /** The standby (`mirror:`), its settings block as written (the standby's backend parses it). */
  mirror?: MirrorArgs;
  production: boolean;
}

/**
 * Parses the keys under `airflow-secrets:` (without the prefix), adding every shape problem to
 * `problems`. Returns the parsed top level when it parsed; the backend's block is checked for shape
 * here too (so one run reports all), and resolved by the backend.
 */
export function parseStackSettings(
  raw: Record<string, unknown>,
  problems: Problems,
  options: { backendShape?: boolean } = {},
): ParsedStackSettings | undefined {
  const before = problems.list.length;
  const schemas = backendSettingsSchemas();
  const backend =
    typeof raw.backend === "string" && (BACKEND_NAMES as readonly string[]).includes(raw.backend)
      ? (raw.backend as BackendName)
      : undefined;
  const topLevel: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (TOP_LEVEL_KEYS.includes(key)) topLevel[key] = value;
    else if ((BACKEND_NAMES as readonly string[]).includes(key)) {
      if (backend !== undefined && key !== backend)
        problems.add(
          key,
          `settings for the ${key} backend, but this stack selects backend: ${backend}; remove them`,
        );
    } else
      problems.add(
        key,
        `is not a key this program reads (known: ${[...TOP_LEVEL_KEYS, backend ?? "<backend>"].join(", ")})`,
      );
  }
  // The standby's settings block is the standby backend's to parse (like the primary's, below), so
  // its shape problems come with everything else its resolve finds; the block's own shape is ours.
  const { mirror: rawMirror, ...withoutMirror } = topLevel;
  const mirrorProblems = new Problems();
  if (rawMirror !== undefined) parseSettings(mirrorSettingsSchema, rawMirror, "mirror", mirrorProblems);
  const standby =
    rawMirror !== null && typeof rawMirror === "object" && !Array.isArray(rawMirror)
      ? (rawMirror as Record<string, unknown>).backend
      : undefined;
  const inStandbySettings = (path: string) =>
    typeof standby === "string" && (path === `mirror.${standby}` || path.startsWith(`mirror.${standby}.`));
  for (const p of mirrorProblems.list) if (!inStandbySettings(p.path)) problems.add(p.path, p.rule);
  // Plain connections are built without the schema (see plainConnections); the rest is parsed.
  const plain = plainConnections(withoutMirror.connections);
  const { connections: _connections, ...withoutConnections } = withoutMirror;
  const parsed = parseSettingsSalvaging(
    topLevelSchema,
    plain !== undefined ? withoutConnections : withoutMirror,
    "",
    problems,
  );
  const schema = backend !== undefined ? schemas[backend] : undefined;
  const backendSettings = backend !== undefined ? (raw[backend] ?? {}) : undefined;
  if (schema !== undefined && backend !== undefined) {
    // Shape only, into a scratch collector: the backend reports these itself when it resolves, so
    // they are added here only when the top level stops the program before the backend runs.
    const backendProblems = new Problems();
    parseSettings(schema, backendSettings, backend, backendProblems);
    if (options.backendShape || !parsed.ok || problems.list.length > before) problems.merge(backendProblems);
  }
  if (options.backendShape || !parsed.ok || problems.list.length > before)
    for (const p of mirrorProblems.list) problems.add(p.path, p.rule);
  if (!parsed.ok || parsed.value === undefined || backend === undefined || problems.list.length > before)
    return undefined;
  const topLevelValue =
    plain !== undefined
      ? { ...parsed.value, connections: plain as StackTopLevel["connections"] }
      : parsed.value;
  return {
    topLevel: topLevelValue,
    backend,
    backendSettings,
    ...(rawMirror !== undefined ? { mirror: mirrorArgsFromBlock(rawMirror as Record<string, unknown>) } : {}),
    production: isProduction({
      production: topLevelValue.production,
      environment: topLevelValue.environment,
    }),
  };
}
