/**
 * The labels (GCP, Kubernetes) and tags (AWS, Azure) every resource that takes them carries, with one
 * key per fact in every cloud. The keys are valid everywhere: GCP label keys allow only lowercase
 * letters, digits, `_` and `-`; Azure tag names refuse `/`.
 */

/** The environment the resource belongs to. */
export const ENVIRONMENT_LABEL = "airflow-secrets-environment";
/** The team that owns the secrets (`owner` in the stack file). */
export const OWNER_LABEL = "owner";
/** Marks what this library manages (`managed-by: airflow-secrets`). */
export const MANAGED_BY_LABEL = "managed-by";
export const MANAGED_BY = "airflow-secrets";

/** The keys this library sets; a user's own labels may not override them. */
export const STANDARD_LABEL_KEYS = [ENVIRONMENT_LABEL, OWNER_LABEL, MANAGED_BY_LABEL] as const;

/**
 * The user's labels, then the standard ones (which win: a stack may not retag a resource into another
 * environment or owner).
 */
export function standardLabels(
  environment: string,
  owner: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...extra,
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [ENVIRONMENT_LABEL]: environment,
    ...(owner !== undefined ? { [OWNER_LABEL]: owner } : {}),
  };
}
