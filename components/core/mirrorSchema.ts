/**
 * `airflow-secrets:mirror:` in a stack file: the standby backend (README "Standby backend (mirror)").
 * `backend` names it and the block under that name holds its settings, parsed by that backend's own
 * schema from the registry: the same keys, defaults and rules as when it is the primary, so failing
 * over is moving two blocks (`backend` ↔ `mirror.backend`, `<primary>:` ↔ `mirror.<standby>`).
 */
import { z } from "zod";
import { BACKEND_NAMES, backendSettingsSchema } from "../registry";

export const mirrorSettingsSchema = z
  .discriminatedUnion(
    "backend",
    BACKEND_NAMES.map((name) =>
      z.strictObject({
        backend: z.literal(name).describe("The standby backend: another backend than `backend`."),
        [name]: backendSettingsSchema(name)
          .optional()
          .describe(`The ${name} backend's settings, exactly as under \`${name}:\` when it is the primary.`),
      }),
    ) as unknown as [z.ZodObject, ...z.ZodObject[]],
    { error: `must be a map with backend: one of ${BACKEND_NAMES.join(", ")}, and that backend's settings` },
  )
  .describe(
    "A standby backend: the same declarations written to a second backend with its own reader identity; its Airflow configuration is rendered (output `mirror`) but not active. Rotation stays with the primary.",
  );

/** The standby as the environment takes it: the backend's name and its settings block as written. */
export interface MirrorArgs {
  /** The standby backend: env, vault, aws, gcp or azure (not the primary's). */
  backend: string;
  /** Its settings, checked by that backend's schema. */
  backendSettings?: unknown;
}

/** The parsed `mirror:` block (any shape the schema accepted) as the environment takes it. */
export function mirrorArgsFromBlock(block: Record<string, unknown>): MirrorArgs {
  const backend = String(block.backend);
  return { backend, backendSettings: block[backend] ?? {} };
}
