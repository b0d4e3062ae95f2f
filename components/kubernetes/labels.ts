import { standardLabels } from "../core/labels";

/** Kubernetes' recommended labels, on every object this library creates in a cluster. */
export const KUBERNETES_APP_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/part-of": "airflow",
  "app.kubernetes.io/managed-by": "airflow-secrets",
};

/**
 * The labels of a Kubernetes object: the recommended ones, then the library's standard ones (the one
 * environment key, owner, managed-by) when the environment is known.
 */
export function kubernetesLabels(environment?: string, owner?: string): Record<string, string> {
  return environment === undefined
    ? { ...KUBERNETES_APP_LABELS }
    : standardLabels(environment, owner, { ...KUBERNETES_APP_LABELS });
}
