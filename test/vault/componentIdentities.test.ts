/**
 * One service account per Airflow component on Vault: the Kubernetes auth role binds exactly the
 * components' accounts in Airflow's namespace, and — against the Vault stand-in loaded with the
 * synthesized roles and policies of a dev and a prod environment — each component logs in and
 * reads its own environment only, while any other account (same namespace, or the same names in the
 * other environment's namespace) is refused at login.
 */
import { installMocks, isSecretValue, resolveOutput } from "../../cli/synth/mockRuntime";
import type { KubernetesSettings } from "../../components/backend";
import { IDENTITY_COMPONENTS } from "../../components/kubernetes/serviceAccountNames";
import { FakeVault } from "../support/fakeVault";
import { ofType } from "../support/resources";
import { AIRFLOW3_CHART_SERVICE_ACCOUNTS } from "../support/chartServiceAccounts";

const session = installMocks({ project: "airflow-secrets", stack: "vault-component-identities" });
/* eslint-disable @typescript-eslint/no-require-imports */
const { AirflowSecretsEnvironment } =
  require("../../components/environment") as typeof import("../../components/environment");
/* eslint-enable @typescript-eslint/no-require-imports */

type Env = "dev" | "prod";
const KUBERNETES: Record<Env, KubernetesSettings> = {
  dev: { namespace: "airflow-dev", chartRelease: "airflow" },
  prod: {
    namespace: "airflow-prod",
    serviceAccount: "airflow",
    serviceAccounts: { workers: "airflow-worker", apiServer: "airflow-ui" },
  },
};
const EXPECTED: Record<Env, string[]> = {
  dev: [...AIRFLOW3_CHART_SERVICE_ACCOUNTS],
  prod: ["airflow", "airflow-worker", "airflow-ui"],
};

const plain = (value: unknown) => (isSecretValue(value) ? value.value : value);

let vault: FakeVault;
const roles = {} as Record<Env, { name: string; bound: string[]; namespaces: string[] }>;

beforeAll(async () => {
  const environments = (["dev", "prod"] as const).map((env) =>
    AirflowSecretsEnvironment.fromConfig(env, {
      environment: env,
      backend: "vault",
      backendSettings: { address: `https://vault.${env}.internal:8200` },
      airflow: { version: "3.1" },
      kubernetes: KUBERNETES[env],
      declarations: {
        connections: [
          { conn_id: "warehouse", conn_type: "postgres", host: `db.${env}`, password: `pw-${env}` },
        ],
      },
    }),
  );
  await session.settle();
  vault = await FakeVault.start();
  vault.enableKv("airflow");
  for (const policy of ofType(session.resources, "vault:index/policy:Policy"))
    vault.writePolicy(String(plain(policy.inputs.name)), String(plain(policy.inputs.policy)));
  for (const [i, env] of (["dev", "prod"] as const).entries()) {
    const roleName = (await resolveOutput(environments[i].backendOutputs.vaultKubernetesRole as never))
      .value as string;
    const role = ofType(session.resources, "vault:kubernetes/authBackendRole:AuthBackendRole").find(
      (r) => r.inputs.roleName === roleName,
    )!;
    roles[env] = {
      name: roleName,
      bound: role.inputs.boundServiceAccountNames as string[],
      namespaces: role.inputs.boundServiceAccountNamespaces as string[],
    };
    vault.writeKubernetesRole(roleName, {
      boundServiceAccountNames: roles[env].bound,
      boundServiceAccountNamespaces: roles[env].namespaces,
      policies: role.inputs.tokenPolicies as string[],
    });
    vault.kvPut("airflow", `${env}/connections/warehouse`, { conn_type: "postgres", host: `db.${env}` });
  }
});

afterAll(async () => {
  await vault?.close();
});

async function call(token: string | undefined, method: string, path: string, body?: unknown) {
  const response = await fetch(`${vault.address}/v1/${path}`, {
    method,
    headers: token ? { "X-Vault-Token": token } : {},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, { client_token?: string }>) : {},
  };
}

/** Logs in to `env`'s role as `namespace/account`, as Airflow's VaultBackend does; undefined if refused. */
async function login(env: Env, namespace: string, account: string): Promise<string | undefined> {
  const answer = await call(undefined, "POST", "auth/kubernetes/login", {
    role: roles[env].name,
    jwt: vault.serviceAccountJwt(namespace, account),
  });
  return answer.status === 200 ? answer.body.auth.client_token : undefined;
}

/** The environments whose warehouse connection a pod running as `namespace/account` can read. */
async function readableBy(namespace: string, account: string): Promise<Env[]> {
  const reads = new Set<Env>();
  for (const role of ["dev", "prod"] as const) {
    const token = await login(role, namespace, account);
    if (token === undefined) continue;
    for (const target of ["dev", "prod"] as const)
      if ((await call(token, "GET", `airflow/data/${target}/connections/warehouse`)).status === 200)
        reads.add(target);
  }
  return [...reads].sort();
}

describe.each(["dev", "prod"] as const)("%s", (env) => {
  const other: Env = env === "dev" ? "prod" : "dev";

  test("the role binds exactly the components' accounts, in Airflow's namespace", () => {
    expect(roles[env].bound).toEqual(EXPECTED[env]);
    expect(roles[env].namespaces).toEqual([KUBERNETES[env].namespace]);
  });

  test("each component's account logs in and reads its own environment only", async () => {
    expect(EXPECTED[env].length).toBeGreaterThan(1);
    for (const account of EXPECTED[env])
      expect([account, await readableBy(KUBERNETES[env].namespace, account)]).toEqual([account, [env]]);
  });

  test("any other account of the namespace, and these names in the other namespace, are refused", async () => {
    const strangers = ["default", "airflow-flower", "airflow-create-user-job", "airflow"].filter(
      (a) => !EXPECTED[env].includes(a),
    );
    expect(strangers.length).toBeGreaterThan(2);
    for (const account of strangers)
      expect(await login(env, KUBERNETES[env].namespace, account)).toBeUndefined();
    for (const account of EXPECTED[env])
      expect(await login(env, KUBERNETES[other].namespace, account)).toBeUndefined();
  });
});

test("the line's components are what dev's chart names cover", () => {
  expect(EXPECTED.dev).toHaveLength(IDENTITY_COMPONENTS[3].length);
});
