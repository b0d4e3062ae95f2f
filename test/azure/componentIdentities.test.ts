/**
 * One service account per Airflow component on Azure: Airflow's managed identity has one federated
 * credential per component's Kubernetes account (subject `system:serviceaccount:<ns>:<account>`)
 * and no other, created one after another (Entra ID refuses concurrent writes on one identity), and
 * more than Entra ID's 20 credentials per identity is refused before anything is registered.
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { Problems } from "../../components/airflow";
import { MAX_FEDERATED_CREDENTIALS, validateKeyVaultAccessArgs } from "../../components/azure/access";
import { ISSUER, SUBSCRIPTION, devSettings, ofType, prop } from "./helpers";
import { AIRFLOW2_CHART_SERVICE_ACCOUNTS } from "../support/chartServiceAccounts";

const session = installMocks({ project: "airflow-secrets", stack: "azure-component-identities" });
/* eslint-disable @typescript-eslint/no-require-imports */
const { AirflowSecretsEnvironment } =
  require("../../components/environment") as typeof import("../../components/environment");
/* eslint-enable @typescript-eslint/no-require-imports */

const ACCOUNTS = [...AIRFLOW2_CHART_SERVICE_ACCOUNTS];

beforeAll(async () => {
  AirflowSecretsEnvironment.fromConfig("dev", {
    environment: "dev",
    backend: "azure",
    backendSettings: devSettings(),
    airflow: { version: "2.11" },
    kubernetes: { namespace: "airflow-dev", chartRelease: "airflow" },
    declarations: { variables: [{ key: "alert_email", value: "alerts@example.com" }] },
  });
  await session.settle();
});

const credentials = () =>
  ofType(session.resources, "azure-native:managedidentity:FederatedIdentityCredential");

test("one federated credential per component account, and no other", () => {
  expect(
    credentials()
      .map((c) => prop(c, "subject"))
      .sort(),
  ).toEqual(ACCOUNTS.map((a) => `system:serviceaccount:airflow-dev:${a}`).sort());
  for (const c of credentials()) {
    expect(prop(c, "issuer")).toBe(ISSUER);
    expect(prop(c, "audiences")).toEqual(["api://AzureADTokenExchange"]);
    expect(prop(c, "claimsMatchingExpression")).toBeUndefined();
  }
  const names = credentials().map((c) => prop(c, "federatedIdentityCredentialResourceName"));
  expect(new Set(names).size).toBe(ACCOUNTS.length);
});

test("the credentials are created one after another, each waiting for the previous", () => {
  const found = credentials();
  expect(found).toHaveLength(ACCOUNTS.length);
  // Each waits for exactly one other credential, except the first: a chain, never two at once.
  const waitsFor = found.map((c) => found.filter((o) => (c.dependencies ?? []).includes(o.urn)).length);
  expect(waitsFor.sort()).toEqual([0, ...Array(ACCOUNTS.length - 1).fill(1)]);
  const awaited = new Set(found.flatMap((c) => c.dependencies ?? []));
  expect(found.filter((c) => !awaited.has(c.urn))).toHaveLength(1);
});

test(`more than ${MAX_FEDERATED_CREDENTIALS} accounts is refused at serviceAccounts, never quoting a name`, () => {
  const base = {
    environment: "dev",
    vault: { id: "id", name: "kv", resourceGroupName: "rg" },
    subscriptionId: SUBSCRIPTION,
    resourceGroupName: "rg",
    location: "westeurope",
    oidcIssuerUrl: ISSUER,
    namespace: "airflow",
  };
  const accounts = (n: number) => Array.from({ length: n }, (_, i) => `secret-looking-${i}`);
  const problemsFor = (n: number) => {
    const problems = new Problems();
    validateKeyVaultAccessArgs({ ...base, serviceAccounts: accounts(n) }, problems);
    return problems.list;
  };
  expect(problemsFor(MAX_FEDERATED_CREDENTIALS)).toEqual([]);
  const refused = problemsFor(MAX_FEDERATED_CREDENTIALS + 1);
  expect(refused.map((p) => p.path)).toEqual(["serviceAccounts"]);
  expect(refused[0].rule).toContain(`at most ${MAX_FEDERATED_CREDENTIALS} federated credentials`);
  expect(refused[0].rule).not.toContain("secret-looking");
  expect(problemsFor(0).map((p) => p.path)).toEqual(["serviceAccounts"]);
});
