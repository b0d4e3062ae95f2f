/**
 * `revoke`: the AWS deny on older sessions as IAM evaluates it (iam-simulate, generated issue times
 * around the cut-off), the command on the shipped AWS stack through an in-memory IAM, Vault's role
 * tokens against the Vault stand-in, and the backends that cannot revoke saying so.
 */
import * as fc from "fast-check";
import * as path from "path";
import { REVOKE_POLICY_NAME, revokeOlderSessionsPolicy } from "../../cli/incident/revokePolicy";
import { runRevoke, type RolePolicyClient } from "../../cli/incident/revoke";
import { FakeVault } from "../support/fakeVault";
import { ACCOUNT, simulate } from "../aws/harness";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");
const READER = `arn:aws:iam::${ACCOUNT}:role/airflow-prod-secrets-reader`;
const SECRET = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:airflow/prod/connections/warehouse-AbCdEf`;
const READER_ALLOW = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: SECRET }],
};

/** IAM's decision for the reader reading a secret with a session issued at `issued`. */
function decisionFor(issued: Date, policies: object[]) {
  return simulate({
    principal: READER,
    action: "secretsmanager:GetSecretValue",
    resource: SECRET,
    identityPolicies: policies,
    context: { "aws:TokenIssueTime": issued.toISOString() },
  });
}

describe("the revoke-older-sessions policy, as IAM evaluates it", () => {
  const now = new Date("2026-12-03T23:41:17.250Z");
  const policy = revokeOlderSessionsPolicy(now);

  it("is AWS's documented shape: deny everything when aws:TokenIssueTime is before the cut-off, rounded up to the second", () => {
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Action: ["*"],
        Resource: ["*"],
        Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-12-03T23:41:18Z" } },
      }),
    ]);
  });

  it("denies a session issued just before the call and allows one issued after the cut-off", async () => {
    expect(await decisionFor(new Date(now.getTime() - 1), [READER_ALLOW])).toBe("Allowed");
    expect(await decisionFor(new Date(now.getTime() - 1), [READER_ALLOW, policy])).toBe("ExplicitlyDenied");
    expect(await decisionFor(new Date("2026-12-03T23:41:18Z"), [READER_ALLOW, policy])).toBe("Allowed");
  });

  it("for generated cut-offs and issue times: denied iff issued before the cut-off; never grants what the role lacks", async () => {
    const base = Date.parse("2026-01-01T00:00:00Z");
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 365 * 24 * 3600 * 1000 }),
        fc.integer({ min: -7200_000, max: 7200_000 }),
        async (cutOffOffset, issuedOffset) => {
          const cutOff = new Date(base + cutOffOffset);
          const issued = new Date(cutOff.getTime() + issuedOffset);
          const revoke = revokeOlderSessionsPolicy(cutOff);
          const boundary = Math.ceil(cutOff.getTime() / 1000) * 1000;
          const expected = issued.getTime() < boundary ? "ExplicitlyDenied" : "Allowed";
          expect(await decisionFor(issued, [READER_ALLOW, revoke])).toBe(expected);
          // The deny never allows anything by itself.
          expect(await decisionFor(issued, [revoke])).not.toBe("Allowed");
          // Every issue time before the call is denied, whatever the milliseconds.
          if (issued.getTime() < cutOff.getTime()) expect(expected).toBe("ExplicitlyDenied");
        },
      ),
      { numRuns: 40, seed: 21 },
    );
  });
});

async function revoke(argv: string[], deps: Parameters<typeof runRevoke>[2] = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runRevoke(
    ["--cwd", ROOT, ...argv],
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
    deps,
  );
  return { code, stdout, stderr };
}

/** IAM's inline role policies, in memory. */
class MemoryIam implements RolePolicyClient {
  readonly policies = new Map<string, string>();
  async putRolePolicy(role: string, name: string, document: string) {
    this.policies.set(`${role}/${name}`, document);
  }
  async deleteRolePolicy(role: string, name: string) {
    return this.policies.delete(`${role}/${name}`);
  }
}

describe("revoke on AWS (shipped prod stack)", () => {
  it("puts the deny on the reader role the stack deploys, and --undo deletes exactly it", async () => {
    const iam = new MemoryIam();
    const now = new Date("2026-12-03T23:50:00.400Z");
    const run = await revoke(["--stack", "prod"], { iam: () => iam, now: () => now });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const key = `airflow-prod-secrets-reader/${REVOKE_POLICY_NAME}`;
    expect([...iam.policies.keys()]).toEqual([key]);
    expect(JSON.parse(iam.policies.get(key)!)).toEqual(revokeOlderSessionsPolicy(now));
    expect(run.stdout).toMatch(
      /ok {3}deny role airflow-prod-secrets-reader .*cut-off 2026-12-03T23:50:01Z \(\d+/,
    );
    expect(run.stdout).toContain("--undo");

    const undo = await revoke(["--stack", "prod", "--undo"], { iam: () => iam });
    expect(undo.code).toBe(0);
    expect(iam.policies.size).toBe(0);
    expect(undo.stdout).toContain("deleted");
    const again = await revoke(["--stack", "prod", "--undo"], { iam: () => iam });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("the role had no such policy");
  });

  it("a failing IAM call exits 1 with the step that failed", async () => {
    const iam: RolePolicyClient = {
      putRolePolicy: async () => {
        throw Object.assign(new Error("User is not authorized to perform: iam:PutRolePolicy"), {
          name: "AccessDenied",
        });
      },
      deleteRolePolicy: async () => false,
    };
    const run = await revoke(["--stack", "prod"], { iam: () => iam });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL deny role airflow-prod-secrets-reader.*AccessDenied/);
  });
});

describe("revoke on Vault (shipped staging stack)", () => {
  let vault: FakeVault;
  beforeAll(async () => {
    vault = await FakeVault.start();
    vault.enableKubernetesAuth("kubernetes");
    vault.writePolicy("airflow-staging-reader", 'path "airflow/data/staging/*" { capabilities = ["read"] }');
    vault.writeKubernetesRole("airflow-staging", {
      boundServiceAccountNames: ["airflow"],
      boundServiceAccountNamespaces: ["airflow-staging"],
      policies: ["airflow-staging-reader"],
    });
    vault.writeKubernetesRole("other-team", {
      boundServiceAccountNames: ["etl"],
      boundServiceAccountNamespaces: ["etl"],
      policies: ["default"],
    });
  });
  afterAll(() => vault?.close());

  async function login(role: string, namespace: string, serviceAccount: string): Promise<string> {
    const response = await fetch(`${vault.address}/v1/auth/kubernetes/login`, {
      method: "POST",
      body: JSON.stringify({ role, jwt: vault.serviceAccountJwt(namespace, serviceAccount) }),
    });
    return ((await response.json()) as { auth: { client_token: string } }).auth.client_token;
  }
  const works = async (token: string) =>
    (await fetch(`${vault.address}/v1/auth/token/lookup-self`, { headers: { "X-Vault-Token": token } })).ok;

  it("revokes every token of Airflow's auth role and no other role's; --undo is a no-op that says why", async () => {
    const airflow = [
      await login("airflow-staging", "airflow-staging", "airflow"),
      await login("airflow-staging", "airflow-staging", "airflow"),
    ];
    const other = await login("other-team", "etl", "etl");
    for (const token of [...airflow, other]) expect(await works(token)).toBe(true);

    const run = await revoke(["--stack", "staging"], {
      vault: () => ({ address: vault.address, token: vault.rootToken }),
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ok {3}find the tokens of auth\/kubernetes role airflow-staging: 2/);
    for (const token of airflow) expect(await works(token)).toBe(false);
    expect(await works(other)).toBe(true);
    // A pod logs in again and works.
    expect(await works(await login("airflow-staging", "airflow-staging", "airflow"))).toBe(true);
    for (const token of [...airflow, other, vault.rootToken]) expect(run.stdout).not.toContain(token);

    const undo = await revoke(["--stack", "staging", "--undo"]);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain("nothing to undo");
  });

  it("a token without sudo on the accessor list fails at that step", async () => {
    vault.writePolicy("weak", 'path "auth/token/accessors" { capabilities = ["list"] }');
    const weak = await (
      await fetch(`${vault.address}/v1/auth/token/create`, {
        method: "POST",
        headers: { "X-Vault-Token": vault.rootToken },
        body: JSON.stringify({ policies: ["weak"] }),
      })
    ).json();
    const run = await revoke(["--stack", "staging"], {
      vault: () => ({
        address: vault.address,
        token: (weak as { auth: { client_token: string } }).auth.client_token,
      }),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL list token accessors.*HTTP 403/);
  });
});

describe("revoke where the cloud cannot revoke issued tokens", () => {
  it.each([
    ["stacks/examples/Pulumi.prod-gcp.yaml", "GCP cannot revoke access tokens already issued"],
    ["stacks/examples/Pulumi.prod-azure.yaml", "Azure cannot revoke access tokens already issued"],
  ])("%s: exits 1, changes nothing, says what the cloud offers", async (file, says) => {
    const run = await revoke(["--config-file", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("nothing was changed");
    expect(run.stderr).toContain(says);
  });
});

describe("the IAM client revoke builds on @aws-sdk/client-iam", () => {
  afterEach(() => jest.resetModules());

  it("sends PutRolePolicy / DeleteRolePolicy with the role, our policy name and the document; NoSuchEntity on undo is 'no such policy'", async () => {
    const sent: Array<{ command: string; input: unknown }> = [];
    const faults: { onDelete?: Error } = {};
    jest.doMock(
      "@aws-sdk/client-iam",
      () => {
        const command = (name: string) =>
          class {
            constructor(readonly input: unknown) {
              sent.push({ command: name, input });
            }
          };
        return {
          IAMClient: class {
            async send(cmd: { input: unknown }) {
              if (faults.onDelete && sent.at(-1)?.command === "DeleteRolePolicy") throw faults.onDelete;
              return cmd.input;
            }
            destroy() {}
          },
          PutRolePolicyCommand: command("PutRolePolicy"),
          DeleteRolePolicyCommand: command("DeleteRolePolicy"),
        };
      },
      { virtual: true },
    );
    const { runRevoke: revokeWithSdk } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require("../../cli/incident/revoke") as typeof import("../../cli/incident/revoke");
    const io = { stdout: () => undefined, stderr: () => undefined };
    const now = new Date("2026-12-04T00:05:00Z");
    expect(await revokeWithSdk(["--cwd", ROOT, "--stack", "prod"], io, { now: () => now })).toBe(0);
    expect(sent).toEqual([
      {
        command: "PutRolePolicy",
        input: {
          RoleName: "airflow-prod-secrets-reader",
          PolicyName: REVOKE_POLICY_NAME,
          PolicyDocument: JSON.stringify(revokeOlderSessionsPolicy(now)),
        },
      },
    ]);
    let stdout = "";
    faults.onDelete = Object.assign(new Error("The role policy cannot be found."), {
      name: "NoSuchEntityException",
    });
    const undo = await revokeWithSdk(["--cwd", ROOT, "--stack", "prod", "--undo"], {
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
    });
    expect(undo).toBe(0);
    expect(sent.at(-1)).toEqual({
      command: "DeleteRolePolicy",
      input: { RoleName: "airflow-prod-secrets-reader", PolicyName: REVOKE_POLICY_NAME },
    });
    expect(stdout).toContain("the role had no such policy");
  });
});
