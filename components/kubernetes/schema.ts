/**
 * The env backend's stack settings (`airflow-secrets:env`), declared once: the runtime check, the
 * TypeScript types, the editor JSON Schema and the README table all come from this schema.
 */
import { z } from "zod";

export const settingsSchema = z.strictObject({
  secretName: z
    .string()
    .optional()
    .describe(
      "Name of the Kubernetes Secret (a Kubernetes object name) holding `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*`; default `airflow-{env}-secrets`.",
    ),
});

export type EnvBackendSettingsInput = z.input<typeof settingsSchema>;
export type EnvBackendSettings = z.output<typeof settingsSchema>;
