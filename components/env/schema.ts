/**
 * The env backend's stack settings (`airflow-secrets:env`), declared once: the runtime check, the
 * TypeScript types, the editor JSON Schema and the README table all come from this schema. No
 * provider SDK here: the stack-file checks load it without `@pulumi/kubernetes`.
 */
import { z } from "zod";

/**
 * A Kubernetes object name (RFC 1123 subdomain), which a Secret's name is: wider than the label rule
 * of namespaces and service accounts (dots, up to 253 characters).
 */
export const KUBERNETES_OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export const settingsSchema = z.strictObject({
  secretName: z
    .string()
    .regex(
      KUBERNETES_OBJECT_NAME,
      "must be a Kubernetes object name: lowercase letters, digits, - and ., starting and ending with a letter or digit, at most 253 characters",
    )
    .optional()
    .describe(
      "Name of the Kubernetes Secret (a Kubernetes object name) holding `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*`; default `airflow-{env}-secrets`.",
    ),
});

export type EnvBackendSettingsInput = z.input<typeof settingsSchema>;
export type EnvBackendSettings = z.output<typeof settingsSchema>;
