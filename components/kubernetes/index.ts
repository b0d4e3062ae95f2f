/**
 * `airflow-secrets/kubernetes`: the Kubernetes pieces every backend shares (Airflow's service accounts,
 * which Airflow components run as which, and the ConfigMap pointing Airflow at its backend). The env backend is `airflow-secrets/env`.
 */
export { AirflowServiceAccount, type AirflowServiceAccountArgs } from "./airflowServiceAccount";
export { AirflowConfigMap, type AirflowConfigMapArgs } from "./airflowConfigMap";
export { type AirflowComponent, IDENTITY_COMPONENTS, type KubernetesIdentity } from "./serviceAccountNames";
