/**
 * The fidelity matrix: every backend × connection format × supported Airflow line (× server and
 * worker on 3.x). One declaration is planned for each cell, and what the library stored is read back
 * by the Python oracle (test/support/airflow_semantics.py) the way that Airflow process reads it.
 */
import * as fs from "fs";
import {
  BACKEND_KINDS,
  BackendKind,
  ConnectionDeclaration,
  ConnectionFormat,
  Problem,
  Problems,
  SENSITIVE_OPTIONS_BY_LINE,
  SUPPORTED_AIRFLOW_VERSIONS,
  SecretsDeclarations,
  SecretsPlan,
  stableJson,
  tryPlanSecrets,
} from "../../components/airflow";
import { LookupAnswer, LookupRequest, Read, askPython } from "../support/airflowSemantics";
import { AIRFLOW_CONFIG_DIR } from "./sensitiveOptionsSource";

export interface Cell {
  backend: BackendKind;
  format: ConnectionFormat;
  line: string;
}

export const FORMATS: readonly ConnectionFormat[] = ["json", "uri"];

export const CELLS: readonly Cell[] = BACKEND_KINDS.flatMap((backend) =>
  FORMATS.flatMap((format) => SUPPORTED_AIRFLOW_VERSIONS.map((line) => ({ backend, format, line }))),
);

export const cellName = (c: Cell) => `${c.backend} × ${c.format} × Airflow ${c.line}`;

export const HAVE_AIRFLOW_CONFIG = fs.existsSync(AIRFLOW_CONFIG_DIR);

export type Planned = { refused: readonly Problem[] } | { plan: SecretsPlan };

export function planCell(cell: Cell, declarations: SecretsDeclarations): Planned {
  const problems = new Problems();
  const plan = tryPlanSecrets(
    {
      backend: cell.backend,
      environment: "dev",
      airflow: { version: cell.line, connectionFormat: cell.format },
      declarations,
    },
    problems,
  );
  return plan && problems.empty ? { plan } : { refused: problems.list };
}

/** The stored values of a plan, by name (every value is known: nothing comes from another resource). */
export async function storedValues(plan: SecretsPlan): Promise<Record<string, string>> {
  const output = plan.valuesByName() as unknown as { promise(): Promise<Record<string, string>> };
  return output.promise();
}

export function lookupRequests(
  cell: Cell,
  plan: SecretsPlan,
  store: Record<string, string>,
  declarations: SecretsDeclarations,
): LookupRequest[] {
  const roles: Array<"server" | "worker"> = cell.line.startsWith("3.") ? ["server", "worker"] : ["server"];
  return roles.map((role) => ({
    op: "lookup",
    backend: cell.backend,
    line: cell.line,
    role,
    env: plan.airflowConfig.env,
    store,
    connections: (declarations.connections ?? []).map((c) => c.conn_id),
    variables: (declarations.variables ?? []).map((v) => v.key),
    config: (declarations.config ?? []).map((o) => [o.section, o.option] as [string, string]),
    ...(HAVE_AIRFLOW_CONFIG
      ? { sensitiveDir: AIRFLOW_CONFIG_DIR }
      : { sensitiveOptions: SENSITIVE_OPTIONS_BY_LINE[cell.line as keyof typeof SENSITIVE_OPTIONS_BY_LINE] }),
  }));
}

export function askLookups(requests: LookupRequest[]): LookupAnswer[] {
  return askPython(requests).map((answer, i) => {
    if (answer.error) throw new Error(`oracle failed on request ${i}: ${answer.error}`);
    return answer.ok as LookupAnswer;
  });
}

const unset = (v: unknown) => (v === undefined || v === null || v === "" ? null : v);

function extraOf(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  const parsed = typeof value === "string" ? JSON.parse(value) : value;
  return Object.keys(parsed as object).length === 0 ? null : stableJson(parsed);
}

const isError = (r: Read<unknown>): r is { error: string } =>
  r !== null && typeof r === "object" && "error" in (r as object);

/**
 * Every way the values Airflow read differ from the declaration (empty: read back exactly). Unset
 * and empty are the same to Airflow's hooks; a description Airflow never reads must be in the store's
 * own metadata instead.
 */
export function differences(
  plan: SecretsPlan,
  declarations: SecretsDeclarations,
  read: LookupAnswer,
): string[] {
  const out: string[] = [];
  const descriptions = new Map(plan.secrets.map((s) => [`${s.kind}:${s.id}`, s.description]));
  for (const conn of declarations.connections ?? []) {
    const got = read.connections[conn.conn_id];
    if (got === null || got === undefined || isError(got)) {
      out.push(`connections[${conn.conn_id}]: not read (${isError(got) ? got.error : "not found"})`);
      continue;
    }
    const want: Record<string, unknown> = {
      conn_id: conn.conn_id,
      conn_type: conn.conn_type,
      host: unset(conn.host),
      login: unset(conn.login),
      password: unset(conn.password),
      schema: unset(conn.schema),
      port: unset(conn.port),
      extra: extraOf(conn.extra),
    };
    const have: Record<string, unknown> = {
      conn_id: got.conn_id,
      conn_type: got.conn_type,
      host: unset(got.host),
      login: unset(got.login),
      password: unset(got.password),
      schema: unset(got.schema),
      port: unset(got.port),
      extra: extraOf(got.extra),
    };
    for (const key of Object.keys(want)) {
      if (want[key] !== have[key])
        out.push(`connections[${conn.conn_id}].${key}: declared ${fmt(want[key])}, read ${fmt(have[key])}`);
    }
    const declared = unset(conn.description);
    const kept = unset(got.description) ?? unset(descriptions.get(`connection:${conn.conn_id}`));
    if (declared !== kept)
      out.push(`connections[${conn.conn_id}].description: declared ${fmt(declared)}, kept ${fmt(kept)}`);
  }
  for (const variable of declarations.variables ?? []) {
    const got = read.variables[variable.key];
    if (got !== variable.value)
      out.push(
        `variables[${variable.key}].value: read ${isError(got) ? got.error : got === null ? "nothing" : "a different value"}`,
      );
    const declared = unset(variable.description);
    if (declared !== unset(descriptions.get(`variable:${variable.key}`)))
      out.push(`variables[${variable.key}].description: not kept`);
  }
  for (const option of declarations.config ?? []) {
    const name = `${option.section}.${option.option}`;
    const got = read.config[name];
    if (got !== option.value)
      out.push(
        `config[${name}].value: read ${isError(got) ? got.error : got === null ? "nothing (default used)" : "a different value"}`,
      );
  }
  return out;
}

function fmt(value: unknown): string {
  return value === null ? "nothing" : JSON.stringify(value);
}

/** Secret material of a declaration: values a refusal must never repeat. */
export function secretValues(declarations: SecretsDeclarations): string[] {
  const out: string[] = [];
  const strings = (value: unknown): void => {
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach(strings);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(strings);
  };
  for (const c of declarations.connections ?? []) {
    strings(c.password);
    strings((c as ConnectionDeclaration).extra);
  }
  for (const v of declarations.variables ?? []) strings(v.value);
  for (const o of declarations.config ?? []) strings(o.value);
  return out;
}
