/**
 * The service accounts the official Airflow chart creates for release `airflow`, one per component,
 * written out here (not derived from components/kubernetes) so the identity tests check the code against
 * the chart's naming: Airflow 3 runs an API server, Airflow 2 a webserver.
 */
const chartServiceAccounts = (ui: string): readonly string[] => [
  "airflow-scheduler",
  "airflow-worker",
  "airflow-triggerer",
  "airflow-dag-processor",
  ui,
  "airflow-migrate-database-job",
];

export const AIRFLOW3_CHART_SERVICE_ACCOUNTS = chartServiceAccounts("airflow-api-server");
export const AIRFLOW2_CHART_SERVICE_ACCOUNTS = chartServiceAccounts("airflow-webserver");
