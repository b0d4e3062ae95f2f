/**
 * Kubernetes' name rule for namespaces and service accounts (RFC 1123 label): lowercase letters,
 * digits and `-`, starting and ending with a letter or digit, at most 63 characters. One copy, used
 * by the stack schema and by every backend that binds an identity to a service account.
 */
import { Problems } from "../airflow/problems";

export const KUBERNETES_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const KUBERNETES_NAME_RULE =
  "must be a Kubernetes name: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 characters";

/** Adds a problem at `path` unless `value` is a valid Kubernetes name. */
export function checkKubernetesName(value: unknown, path: string, problems: Problems): void {
  problems.check(typeof value === "string" && KUBERNETES_NAME.test(value), path, KUBERNETES_NAME_RULE);
}
