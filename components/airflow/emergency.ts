/**
 * The emergency subset (README "Emergency subset"): the connections declared `critical: true`, as the
 * file `airflow connections import FILE` loads into the metadata database when every secrets backend
 * is down. Airflow looks connections up in the secrets backends first and the metadata database last,
 * so the imported rows are what Airflow reads while the backends cannot answer.
 *
 * The file's shape is what `airflow connections import` reads: `load_connections_dict` of
 * airflow/secrets/local_filesystem.py maps each conn_id to a dict of `Connection` fields, `extra` as a
 * JSON string (https://github.com/apache/airflow/blob/2.10.5/airflow/cli/commands/connection_command.py,
 * `connections_import` → `_import_helper`; Airflow 3.1:
 * https://github.com/apache/airflow/blob/3.1.0/airflow-core/src/airflow/cli/commands/connection_command.py).
 */
import * as pulumi from "@pulumi/pulumi";
import { ConnectionDeclaration, VariableDeclaration } from "./declarations";
import { resolvedConnection } from "./plan";
import { Problems } from "./problems";
import { ResolvedConnection, connectionsImportFile } from "./serialize";
import { isKnown } from "./validate";

/**
 * The Variable the file is stored under in the environment's backend, so it gets the backend's own
 * name rules, encryption key, writer and reader like every other declaration.
 */
export const EMERGENCY_CONNECTIONS_KEY = "airflow_secrets_emergency_connections";

/**
 * The ids `airflow connections import` accepts: 2.x skips any other with "Could not import
 * connection" (`helpers.validate_key(conn_id, max_length=200)`, `^[\w.-]+$`), and Airflow 3's
 * `ConnectionBody` holds `connection_id` to the same pattern and length. ASCII here: stricter than
 * Python's Unicode `\w`, never looser.
 */
const IMPORTABLE_CONN_ID = /^[A-Za-z0-9_.-]{1,200}$/;

/** The connections of the emergency subset. */
export function criticalConnections(connections: readonly ConnectionDeclaration[]): ConnectionDeclaration[] {
  return connections.filter((c) => c?.critical === true);
}

/** Every critical connection's id must survive `airflow connections import`. */
export function checkEmergencySubset(
  connections: readonly ConnectionDeclaration[],
  problems: Problems,
): void {
  connections.forEach((conn, index) => {
    if (conn?.critical !== true || typeof conn.conn_id !== "string") return;
    problems.check(
      IMPORTABLE_CONN_ID.test(conn.conn_id),
      `connections[${index}].critical`,
      "puts the connection in the emergency import file, and `airflow connections import` skips a conn_id other than letters, digits, _, . and - (at most 200 characters): rename it or drop critical",
    );
  });
}

/**
 * The import file of the critical connections: a plain string when every field is known now (so the
 * backend's size limit is checked before anything is registered), otherwise an Output. Either way the
 * environment stores it as a Pulumi secret. Undefined when no connection is critical.
 */
export function emergencyImportFile(
  connections: readonly ConnectionDeclaration[],
): string | pulumi.Output<string> | undefined {
  const critical = criticalConnections(connections);
  if (critical.length === 0) return undefined;
  const fields = (c: ConnectionDeclaration) => [c.host, c.port, c.schema, c.login, c.password, c.extra];
  if (critical.every((c) => fields(c).every((f) => f === undefined || isKnown(f))))
    return connectionsImportFile(
      Object.fromEntries(critical.map((c) => [c.conn_id, c as unknown as ResolvedConnection])),
    );
  return pulumi
    .all(critical.map(resolvedConnection))
    .apply((resolved) =>
      connectionsImportFile(Object.fromEntries(resolved.map((r, i) => [critical[i].conn_id, r]))),
    );
}

/** The Variable that stores the file in the backend, or undefined when no connection is critical. */
export function emergencyVariable(
  connections: readonly ConnectionDeclaration[],
): VariableDeclaration | undefined {
  let file: string | pulumi.Output<string> | undefined;
  try {
    file = emergencyImportFile(connections);
  } catch {
    // A malformed critical connection (e.g. `extra: null`): the contract names its field, and
    // nothing is registered while that problem stands.
    return undefined;
  }
  return file === undefined ? undefined : { key: EMERGENCY_CONNECTIONS_KEY, value: file };
}
