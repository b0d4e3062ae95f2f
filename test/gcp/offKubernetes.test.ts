/**
 * `kubernetes: false` with the GCP backend (Cloud Composer): no Kubernetes resource and no Workload
 * Identity binding; Composer's service account may only impersonate the environment's reader, whose
 * conditional access is unchanged (evaluated by CEL), and Airflow's backend impersonates exactly it.
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { MOCK_PROJECT_NUMBER } from "../../cli/synth/computed/gcp";
import { Problems } from "../../components/airflow";
import {
  AirflowSecretsEnvironment,
  AirflowSecretsEnvironmentConfigArgs,
  prepareEnvironment,
} from "../../components/environment";
import { effectiveGrants, neighbouringIds } from "./effectiveAccess";
import { SECRET_TYPE, ofType } from "./helpers";

const session = installMocks({ project: "airflow-secrets", stack: "prod-composer" });

const PROJECT = "acme-data-prod";
const COMPOSER = `composer-prod@${PROJECT}.iam.gserviceaccount.com`;
const READER = `airflow-prod@${PROJECT}.iam.gserviceaccount.com`;

const args = (settings: Record<string, unknown> = {}): AirflowSecretsEnvironmentConfigArgs => ({
  environment: "prod",
  owner: "data-platform",
  backend: "gcp",
  airflow: { version: "2.10", cache: { enabled: true, ttlSeconds: 600 } },
  kubernetes: false,
  backendSettings: {
    project: PROJECT,
    locations: ["europe-west1"],
    audit: { notificationChannels: [`projects/${PROJECT}/notificationChannels/42`] },
    offKubernetes: { airflowServiceAccounts: [COMPOSER] },
    ...settings,
  },
  declarations: {
    connections: [
      { conn_id: "warehouse", conn_type: "postgres", host: "10.0.0.5", login: "a", password: "pw-Zq9" },
    ],
    variables: [{ key: "alert_email", value: "a@example.com" }],
  },
});

const problemsOf = (a: AirflowSecretsEnvironmentConfigArgs) => {
  const problems = new Problems();
  prepareEnvironment(a, problems);
  return problems.list.map((p) => `${p.path}: ${p.rule}`);
};

describe("GCP backend with kubernetes: false (Cloud Composer)", () => {
  let environment: AirflowSecretsEnvironment;
  beforeAll(async () => {
    environment = AirflowSecretsEnvironment.fromConfig("prod", args());
    await session.settle();
  });

  it("registers the store and the reader, and no Kubernetes resource or Workload Identity binding", () => {
    expect(session.resources.length).toBeGreaterThan(0);
    expect(ofType(session.resources, SECRET_TYPE).length).toBeGreaterThan(0);
    expect(session.resources.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
    const accountMembers = ofType(session.resources, "gcp:serviceaccount/iAMMember:IAMMember");
    expect(
      accountMembers.filter(
        (m) =>
          m.inputs.role === "roles/iam.workloadIdentityUser" &&
          String(m.inputs.member).includes("svc.id.goog"),
      ),
    ).toEqual([]);
    expect(environment.helmValues).toBeUndefined();
  });

  it("Composer's account may only impersonate the reader, and reads no secret directly", () => {
    const tokenCreators = ofType(session.resources, "gcp:serviceaccount/iAMMember:IAMMember").filter(
      (m) => m.inputs.role === "roles/iam.serviceAccountTokenCreator",
    );
    expect(tokenCreators.map((m) => m.inputs.member)).toEqual([`serviceAccount:${COMPOSER}`]);
    const reader = ofType(session.resources, "gcp:serviceaccount/account:Account").find(
      (a) => a.inputs.accountId === "airflow-prod",
    )!;
    expect(reader).toBeDefined();
    // On the reader account (its `name`, `projects/P/serviceAccounts/EMAIL`), no other.
    expect(String(tokenCreators[0].inputs.serviceAccountId)).toContain(READER);
    const own = ["airflow-prod-connections-warehouse", "airflow-prod-variables-alert_email"];
    const ids = [...own, ...neighbouringIds(own, "prod")];
    expect(
      effectiveGrants(session.resources, `serviceAccount:${COMPOSER}`, ids, MOCK_PROJECT_NUMBER),
    ).toEqual({});
    expect(effectiveGrants(session.resources, `serviceAccount:${READER}`, ids, MOCK_PROJECT_NUMBER)).toEqual({
      "airflow-prod-connections-warehouse": ["roles/secretmanager.secretAccessor"],
      "airflow-prod-variables-alert_email": ["roles/secretmanager.secretAccessor"],
    });
  });

  it("Airflow's backend impersonates the reader; MWAA's map is built too", () => {
    const kwargs = JSON.parse(environment.airflowConfig.env.AIRFLOW__SECRETS__BACKEND_KWARGS);
    expect(kwargs.impersonation_chain).toBe(READER);
    expect(kwargs.project_id).toBe(PROJECT);
    expect(environment.mwaaConfiguration!.options["secrets.backend_kwargs"]).toBe(
      environment.airflowConfig.env.AIRFLOW__SECRETS__BACKEND_KWARGS,
    );
  });
});

describe("the GCP target's identity fields", () => {
  it("off Kubernetes: offKubernetes is required, workloadIdentityPool refused, emails checked without quoting", () => {
    expect(problemsOf(args({ offKubernetes: undefined }))).toEqual([
      expect.stringMatching(/^gcp\.offKubernetes: is required with kubernetes: false/),
    ]);
    expect(problemsOf(args({ workloadIdentityPool: `${PROJECT}.svc.id.goog` }))).toEqual([
      expect.stringMatching(/^gcp\.workloadIdentityPool: is Workload Identity's and kubernetes is false/),
    ]);
    const bad = problemsOf(
      args({ offKubernetes: { airflowServiceAccounts: ["Qz7 not-an-email", COMPOSER, COMPOSER] } }),
    );
    expect(bad).toEqual([
      expect.stringMatching(
        /^gcp\.offKubernetes\.airflowServiceAccounts\[0\]: must be a service account email/,
      ),
      "gcp.offKubernetes.airflowServiceAccounts: must not list a service account twice",
    ]);
    expect(bad.join("\n")).not.toContain("Qz7");
  });

  it("on Kubernetes: offKubernetes is refused", () => {
    expect(
      problemsOf({ ...args(), kubernetes: { namespace: "airflow", serviceAccount: "airflow" } }),
    ).toEqual([expect.stringMatching(/^gcp\.offKubernetes: applies only with kubernetes: false/)]);
  });
});
