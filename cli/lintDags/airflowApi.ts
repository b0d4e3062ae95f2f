/**
 * The Airflow (and `os`) objects the rules know, by the dotted paths they can be imported from,
 * across Airflow 2 (`airflow.models`, `airflow.hooks`) and Airflow 3 (`airflow.sdk`).
 */

const VARIABLE_CLASSES = [
  "airflow.models.Variable",
  "airflow.models.variable.Variable",
  "airflow.sdk.Variable",
  "airflow.sdk.definitions.variable.Variable",
];
const CONNECTION_CLASSES = [
  "airflow.models.Connection",
  "airflow.models.connection.Connection",
  "airflow.sdk.Connection",
  "airflow.sdk.definitions.connection.Connection",
];
const BASE_HOOK_CLASSES = [
  "airflow.hooks.base.BaseHook",
  "airflow.hooks.base_hook.BaseHook",
  "airflow.sdk.BaseHook",
  "airflow.sdk.bases.hook.BaseHook",
];
/** Decorators whose function body Airflow runs while parsing the DAG file, not when a task runs. */
const DAG_BUILDING_DECORATORS = [
  "airflow.decorators.dag",
  "airflow.models.dag.dag",
  "airflow.sdk.dag",
  "airflow.sdk.definitions.dag.dag",
  "airflow.decorators.task_group",
  "airflow.decorators.task_group.task_group",
  "airflow.sdk.task_group",
  "airflow.sdk.definitions.decorators.task_group.task_group",
];
const ENVIRONMENT = "os.environ";
const ENVIRONMENT_READS = ["os.getenv", "os.environ.get"];

const VARIABLE_LOOKUPS = new Set(["get", "get_variable_from_secrets", "setdefault"]);
const CONNECTION_LOOKUPS = new Set(["get", "get_connection_from_secrets"]);
/** Class methods every hook inherits from BaseHook; each one fetches a connection. */
const HOOK_CONNECTION_LOOKUPS = new Set(["get_connection", "get_connections", "get_hook"]);

const KNOWN_OBJECTS = [
  ...VARIABLE_CLASSES,
  ...CONNECTION_CLASSES,
  ...BASE_HOOK_CLASSES,
  ...DAG_BUILDING_DECORATORS,
  ENVIRONMENT,
  ...ENVIRONMENT_READS,
];

/** What `from MODULE import *` binds that the rules care about. */
export function starImportedNames(module: string): { name: string; path: string }[] {
  return KNOWN_OBJECTS.filter(
    (path) => path.startsWith(`${module}.`) && !path.slice(module.length + 1).includes("."),
  ).map((path) => ({ name: path.slice(module.length + 1), path }));
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf(".") + 1);
}

/**
 * A hook class: any imported class whose name ends in `Hook`, or any class from a hook module
 * (`airflow.hooks.*`, `airflow.providers.<provider>.hooks.*`).
 */
function isHookClass(path: string): boolean {
  const segments = path.split(".");
  const name = segments[segments.length - 1];
  const isClassName = name[0] !== undefined && name[0] !== "_" && name[0] === name[0].toUpperCase();
  if (!isClassName || segments.length < 2) return false;
  if (name.endsWith("Hook")) return true;
  const modules = segments.slice(0, -1);
  return (
    modules[0] === "airflow" &&
    (modules[1] === "hooks" || (modules[1] === "providers" && modules.slice(2).includes("hooks")))
  );
}

export type AirflowCall =
  | { kind: "variable lookup"; api: string }
  | { kind: "connection lookup"; api: string }
  | { kind: "hook construction"; api: string }
  | { kind: "environment read"; api: string };

/** What calling the object at `path` does, when it matters to the rules. */
export function classifyCallee(path: string): AirflowCall | undefined {
  const cut = path.lastIndexOf(".");
  if (cut < 0) return undefined;
  const owner = path.slice(0, cut);
  const member = path.slice(cut + 1);
  const api = `${lastSegment(owner)}.${member}`;
  if (VARIABLE_CLASSES.includes(owner) && VARIABLE_LOOKUPS.has(member))
    return { kind: "variable lookup", api };
  if (CONNECTION_CLASSES.includes(owner) && CONNECTION_LOOKUPS.has(member))
    return { kind: "connection lookup", api };
  if (isHookClass(owner) && HOOK_CONNECTION_LOOKUPS.has(member)) return { kind: "connection lookup", api };
  if (isHookClass(path)) return { kind: "hook construction", api: member };
  if (ENVIRONMENT_READS.includes(path)) return { kind: "environment read", api: path };
  return undefined;
}

export function isEnvironmentMapping(path: string): boolean {
  return path === ENVIRONMENT;
}

export function isDagBuildingDecorator(path: string): boolean {
  return DAG_BUILDING_DECORATORS.includes(path);
}
