/**
 * One service account per Airflow component on GCP: Airflow's Google service account of each
 * environment has one `roles/iam.workloadIdentityUser` member per component's Kubernetes account
 * and no other, and what each component can reach through those members (its environment's Google
 * account, whose conditional grant a CEL interpreter evaluates) is its environment's secrets only.
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { MOCK_PROJECT_NUMBER } from "../../cli/synth/computed/gcp";
import type { KubernetesSettings } from "../../components/backend";
import { effectiveGrants } from "./effectiveAccess";
import { SECRET_TYPE, ofType } from "./helpers";
import { AIRFLOW3_CHART_SERVICE_ACCOUNTS } from "../support/chartServiceAccounts";

const session = installMocks({ project: "airflow-secrets", stack: "gcp-component-identities" });
/* eslint-disable @typescript-eslint/no-require-imports */
const { AirflowSecretsEnvironment } =
  require("../../components/environment") as typeof import("../../components/environment");
/* eslint-enable @typescript-eslint/no-require-imports */

const PROJECT = "acme-data";
const POOL = `${PROJECT}.svc.id.goog`;
type Env = "dev" | "qa";
const KUBERNETES: Record<Env, KubernetesSettings> = {
  dev: { namespace: "airflow-dev", chartRelease: "airflow" },
  qa: { namespace: "airflow-qa", serviceAccount: "airflow", serviceAccounts: { workers: "airflow-worker" } },
};
const ACCOUNTS: Record<Env, string[]> = {
  dev: [...AIRFLOW3_CHART_SERVICE_ACCOUNTS],
  qa: ["airflow", "airflow-worker"],
};
const googleAccount = (env: Env) => `serviceAccount:airflow-${env}@${PROJECT}.iam.gserviceaccount.com`;

beforeAll(async () => {
  for (const env of ["dev", "qa"] as const)
    AirflowSecretsEnvironment.fromConfig(env, {
      environment: env,
      backend: "gcp",
      backendSettings: { project: PROJECT, locations: ["europe-west1"] },
      airflow: { version: "3.1" },
      kubernetes: KUBERNETES[env],
      declarations: { variables: [{ key: "alert_email", value: `alerts-${env}@example.com` }] },
    });
  await session.settle();
});

const members = () =>
  ofType(session.resources, "gcp:serviceaccount/iAMMember:IAMMember").filter(
    (m) => m.inputs.role === "roles/iam.workloadIdentityUser",
  );

/** The Google accounts a pod running as `namespace/account` may act as (Workload Identity members). */
function googleAccountsOf(namespace: string, account: string): string[] {
  return members()
    .filter((m) => m.inputs.member === `serviceAccount:${POOL}[${namespace}/${account}]`)
    .map((m) => `serviceAccount:${String(m.inputs.serviceAccountId).split("/").pop()}`);
}

const secretIds = () => ofType(session.resources, SECRET_TYPE).map((s) => String(s.inputs.secretId));

describe.each(["dev", "qa"] as const)("%s", (env) => {
  const other: Env = env === "dev" ? "qa" : "dev";

  test("one Workload Identity member per component account, and no other", () => {
    const mine = members().filter((m) => String(m.inputs.serviceAccountId).includes(`/airflow-${env}@`));
    expect(mine.map((m) => m.inputs.member).sort()).toEqual(
      ACCOUNTS[env].map((a) => `serviceAccount:${POOL}[${KUBERNETES[env].namespace}/${a}]`).sort(),
    );
  });

  test("each component reaches its environment's secrets only", () => {
    const ids = secretIds();
    expect(ids.some((id) => id.startsWith(`airflow-${other}-`))).toBe(true);
    for (const account of ACCOUNTS[env]) {
      const reachable = googleAccountsOf(KUBERNETES[env].namespace, account);
      expect(reachable).toEqual([googleAccount(env)]);
      const grants = effectiveGrants(session.resources, googleAccount(env), ids, MOCK_PROJECT_NUMBER);
      expect(Object.keys(grants).length).toBeGreaterThan(0);
      for (const id of Object.keys(grants)) expect(id.startsWith(`airflow-${env}-`)).toBe(true);
    }
  });

  test("another account of the namespace, or these names in the other namespace, reach nothing", () => {
    for (const account of ["default", "airflow-flower"])
      expect(googleAccountsOf(KUBERNETES[env].namespace, account)).toEqual([]);
    for (const account of ACCOUNTS[env])
      expect(googleAccountsOf(KUBERNETES[other].namespace, account)).not.toContain(googleAccount(env));
  });
});
