/**
 * `kubernetes: false` with the Azure backend (a VM, a container app): the managed identity is built
 * without any federated credential, to be assigned to Airflow's host; it keeps Key Vault Secrets User
 * on the environment's vault only. No Kubernetes resource.
 */
import { installMocks } from "../../cli/synth/mockRuntime";
import { Problems } from "../../components/airflow";
import {
  AirflowSecretsEnvironment,
  AirflowSecretsEnvironmentConfigArgs,
  prepareEnvironment,
} from "../../components/environment";
import { ISSUER, ofType, prodSettings } from "./helpers";

const session = installMocks({ project: "airflow-secrets", stack: "prod-vm" });

const args = (
  overrides: Record<string, unknown> = {},
  kubernetes: AirflowSecretsEnvironmentConfigArgs["kubernetes"] = false,
) => ({
  environment: "prod",
  backend: "azure",
  airflow: { version: "2.10", cache: { enabled: true, ttlSeconds: 600 } },
  kubernetes,
  backendSettings: prodSettings({ aksOidcIssuerUrl: undefined, ...overrides }),
  declarations: {
    connections: [
      { conn_id: "slack_alerts", conn_type: "http", host: "hooks.slack.com", password: "tok-Zq9" },
    ],
    variables: [{ key: "alert_email", value: "a@example.com" }],
  },
});

const problemsOf = (a: AirflowSecretsEnvironmentConfigArgs) => {
  const problems = new Problems();
  prepareEnvironment(a, problems);
  return problems.list.map((p) => `${p.path}: ${p.rule}`);
};

describe("Azure backend with kubernetes: false", () => {
  let environment: AirflowSecretsEnvironment;
  beforeAll(async () => {
    environment = AirflowSecretsEnvironment.fromConfig("prod", args());
    await session.settle();
  });

  it("builds the identity with no federated credential and no Kubernetes resource", () => {
    expect(session.resources.length).toBeGreaterThan(0);
    expect(ofType(session.resources, "azure-native:managedidentity:UserAssignedIdentity")).toHaveLength(1);
    expect(ofType(session.resources, "azure-native:managedidentity:FederatedIdentityCredential")).toEqual([]);
    expect(session.resources.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
    expect(environment.backendOutputs.airflowIdentityId).toBeDefined();
  });

  it("the identity reads the environment's vault only (one role assignment, scoped to it)", () => {
    const identity = ofType(session.resources, "azure-native:managedidentity:UserAssignedIdentity")[0];
    const assignments = ofType(session.resources, "azure-native:authorization:RoleAssignment").filter((a) =>
      a.name.endsWith("-airflow-reader"),
    );
    expect(assignments).toHaveLength(1);
    const vault = ofType(session.resources, "azure-native:keyvault:Vault")[0];
    expect(vault).toBeDefined();
    // The mock runtime's id of a resource is `<name>-id`: the scope is that vault, not its group.
    expect(assignments[0].inputs.scope).toBe(`${vault.name}-id`);
    expect(assignments[0].inputs.roleDefinitionId).toMatch(/4633458b-17de-408a-b874-0445c86b69e6$/);
    expect(identity.name).toMatch(/-airflow$/);
  });

  it("the cluster's issuer is refused off Kubernetes and required on it, at its field", () => {
    expect(problemsOf(args({ aksOidcIssuerUrl: ISSUER }))).toEqual([
      expect.stringMatching(/^azure\.aksOidcIssuerUrl: is the AKS cluster's and kubernetes is false/),
    ]);
    expect(problemsOf(args({}, { namespace: "airflow", serviceAccount: "airflow" }))).toEqual([
      expect.stringMatching(/^azure\.aksOidcIssuerUrl: is required on Kubernetes/),
    ]);
  });
});
