/**
 * The policy pack with one service account per Airflow component: the environment component lists
 * them all (`kubernetesServiceAccounts`), `workload-identity-bound-exactly` accepts bindings of
 * exactly those names on every cloud and reports any other, and `identity-grants-scoped` judges a
 * binding of any one of them as Airflow's identity.
 */
import { identityGrantsScoped } from "../../policies/identityGrantsScoped";
import { workloadIdentityBoundExactly } from "../../policies/workloadIdentityBoundExactly";
import { Fixture, environment, resource, violations } from "./harness";
import { AIRFLOW3_CHART_SERVICE_ACCOUNTS } from "../support/chartServiceAccounts";

const NAMESPACE = "airflow-prod";
const COMPONENTS = [...AIRFLOW3_CHART_SERVICE_ACCOUNTS];
const OIDC = "oidc.eks.eu-west-1.amazonaws.com/id/X";
const POOL = "acme-prod.svc.id.goog";

/** The environment component as components/environment.ts records it with per-component accounts. */
function perComponentEnvironment(names: string[] = COMPONENTS): Fixture {
  const fixture = environment("prod", { environment: "prod", production: true, namespace: NAMESPACE });
  delete fixture.inputs.kubernetesServiceAccount;
  fixture.inputs.kubernetesServiceAccounts = names;
  return fixture;
}

const p = (type: string, name: string, inputs: Record<string, unknown>, computed?: Record<string, unknown>) =>
  resource("prod", type, name, inputs, { computed });

/** Each cloud's binding of `names` in `namespace`, as the backends build them. */
function bindingsOf(names: string[], namespace = NAMESPACE): Record<string, Fixture[]> {
  return {
    vault: [
      p("vault:kubernetes/authBackendRole:AuthBackendRole", "role", {
        boundServiceAccountNames: names,
        boundServiceAccountNamespaces: [namespace],
      }),
    ],
    aws: [
      p("aws:iam/role:Role", "irsa", {
        assumeRolePolicy: JSON.stringify({
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${OIDC}` },
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: {
                StringEquals: {
                  [`${OIDC}:sub`]: names.map((n) => `system:serviceaccount:${namespace}:${n}`),
                  [`${OIDC}:aud`]: "sts.amazonaws.com",
                },
              },
            },
          ],
        }),
      }),
    ],
    gcp: [
      p(
        "gcp:serviceaccount/account:Account",
        "gsa",
        { accountId: "airflow-prod" },
        { email: "airflow-prod@acme-prod.iam.gserviceaccount.com" },
      ),
      ...names.map((n) =>
        p("gcp:serviceaccount/iAMMember:IAMMember", `wi-${n}`, {
          serviceAccountId:
            "projects/acme-prod/serviceAccounts/airflow-prod@acme-prod.iam.gserviceaccount.com",
          role: "roles/iam.workloadIdentityUser",
          member: `serviceAccount:${POOL}[${namespace}/${n}]`,
        }),
      ),
    ],
    azure: [
      p("azure-native:managedidentity:UserAssignedIdentity", "id", { resourceName: "id-airflow-prod" }),
      ...names.map((n) =>
        p("azure-native:managedidentity:FederatedIdentityCredential", `fic-${n}`, {
          resourceName: "id-airflow-prod",
          issuer: "https://aks.example/",
          subject: `system:serviceaccount:${namespace}:${n}`,
        }),
      ),
    ],
  };
}

const CLOUDS = Object.keys(bindingsOf(COMPONENTS));

test("every cloud has a binding fixture", () => {
  expect(CLOUDS).toEqual(["vault", "aws", "gcp", "azure"]);
});

describe.each(CLOUDS)("%s", (cloud) => {
  test("a binding of exactly the components' accounts passes", async () => {
    expect(
      await violations(workloadIdentityBoundExactly, [
        perComponentEnvironment(),
        ...bindingsOf(COMPONENTS)[cloud],
      ]),
    ).toEqual([]);
  });

  test("a service account no component runs as is reported, once per binding that names it", async () => {
    const found = await violations(workloadIdentityBoundExactly, [
      perComponentEnvironment(),
      ...bindingsOf([...COMPONENTS, "default"])[cloud],
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('through service account "default", which no Airflow component');
    for (const name of COMPONENTS) expect(found[0]).toContain(`"${NAMESPACE}/${name}"`);
  });

  test("the components' names in another namespace are reported", async () => {
    const found = await violations(workloadIdentityBoundExactly, [
      perComponentEnvironment(),
      ...bindingsOf(COMPONENTS, "kube-system")[cloud],
    ]);
    expect(found.length).toBeGreaterThan(0);
    for (const message of found) expect(message).toContain('through namespace "kube-system"');
  });

  test("a component recorded before the list (one kubernetesServiceAccount) still decides", async () => {
    const single = environment("prod", { environment: "prod", production: true, namespace: NAMESPACE });
    expect(
      await violations(workloadIdentityBoundExactly, [single, ...bindingsOf(["airflow"])[cloud]]),
    ).toEqual([]);
    const found = await violations(workloadIdentityBoundExactly, [single, ...bindingsOf(COMPONENTS)[cloud]]);
    expect(found.join("\n")).toContain('service account "airflow-scheduler"');
  });
});

test("identity-grants-scoped judges a binding of one component's account as Airflow's", async () => {
  const writable = [
    perComponentEnvironment(),
    p("vault:kubernetes/authBackendRole:AuthBackendRole", "worker-role", {
      boundServiceAccountNames: ["airflow-worker"],
      boundServiceAccountNamespaces: [NAMESPACE],
      tokenPolicies: ["airflow-prod-reader"],
    }),
    p("vault:index/policy:Policy", "pol", {
      name: "airflow-prod-reader",
      policy: 'path "airflow/data/prod/connections/*" { capabilities = ["read", "update"] }',
    }),
  ];
  const found = await violations(identityGrantsScoped, writable);
  expect(found).toEqual([
    'vault:kubernetes/authBackendRole:AuthBackendRole "worker-role" (Airflow\'s identity) gets update on "airflow/data/prod/connections/*" from Vault policy "airflow-prod-reader"; Airflow only reads.',
  ]);
  // The same role bound to a service account no component runs as is not Airflow's identity.
  (writable[1].inputs.boundServiceAccountNames as string[])[0] = "some-other-app";
  expect(await violations(identityGrantsScoped, writable)).toEqual([]);
});
