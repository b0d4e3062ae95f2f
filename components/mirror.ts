/**
 * The standby backend (`mirror:`, README "Standby backend (mirror)"): the environment's declarations
 * planned and resolved by a second backend, through the same `prepareBackend` as the primary (one
 * parse → plan → resolve each), with every problem reported under `mirror.`.
 *
 * What the standby stores differs from the primary's declarations in one way only: rotation stays
 * with the primary. The standby stores each rotated connection's declared value without a rotator,
 * and no rotation master (only a rotator reads those). After a rotation the standby is refreshed by
 * declaring the current value and running `pulumi up`: the primary ignores the change (its rotator
 * owns the value), the standby stores it.
 */
import { Problems, SecretsDeclarations, rotationMasterIds } from "./airflow";
import { AirflowSecretsBackend, BackendContext, ResolvedBackend, prepareBackend } from "./backend";
import type { MirrorArgs } from "./core/mirrorSchema";
import { BACKEND_NAMES, loadBackend } from "./registry";

export type { MirrorArgs };

/** The standby's backend and what it resolved to, ready to build. */
export interface PreparedMirror {
  backend: AirflowSecretsBackend;
  resolved: ResolvedBackend;
}

/** The declarations as the standby stores them: no rotation, no rotation master. */
export function standbyDeclarations(declarations: SecretsDeclarations): SecretsDeclarations {
  const connections = declarations.connections ?? [];
  const masters = rotationMasterIds(connections);
  return {
    ...declarations,
    connections: connections
      .filter((c) => !masters.has(c?.conn_id))
      .map((c) => {
        if (c?.rotation === undefined) return c;
        const { rotation, ...stored } = c;
        return stored;
      }),
  };
}

/**
 * Parse → plan → resolve of the standby against the primary's context (its declarations as the
 * standby stores them). Registers nothing; adds every problem to `problems` under `mirror.`, except
 * one the primary already reported word for word (a declaration both backends refuse the same way).
 */
export function prepareMirror(
  mirror: MirrorArgs,
  primaryBackend: string,
  context: BackendContext,
  problems: Problems,
): PreparedMirror | undefined {
  const before = problems.list.length;
  const reported = new Set(problems.list.map((p) => `${p.path}\n${p.rule}`));
  if (
    !problems.check(
      typeof mirror?.backend === "string" && (BACKEND_NAMES as readonly string[]).includes(mirror.backend),
      "mirror.backend",
      `must be one of ${BACKEND_NAMES.join(", ")}`,
    )
  )
    return undefined;
  // Same-backend standbys would share every resource name; each store has its own replication for that.
  if (
    !problems.check(
      mirror.backend !== primaryBackend,
      "mirror.backend",
      `is the primary's backend (${primaryBackend}): a standby must be another backend (for a second region or cluster of the same one use its own replication: aws replicaRegions, gcp replication, Vault performance replication)`,
    )
  )
    return undefined;
  const backend = loadBackend(mirror.backend);
  const own = new Problems();
  const resolved = prepareBackend(
    backend,
    { ...context, declarations: standbyDeclarations(context.declarations) },
    mirror.backendSettings,
    own,
  );
  for (const p of own.list)
    if (!reported.has(`${p.path}\n${p.rule}`)) problems.add(`mirror.${p.path}`, p.rule);
  return own.list.length === 0 && problems.list.length === before
    ? { backend, resolved: resolved! }
    : undefined;
}
