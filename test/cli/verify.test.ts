/**
 * `verify` against local stand-ins of every store: the shipped stack of each backend, its `secure:`
 * values replaced by generated ones given as `pulumi config --show-secrets --json`, "deployed" into the
 * stand-in with the values the contract's plan stores. Then verify passes on that deployment, finds an
 * injected missing, altered and stale value (and a stopped rotation where the store keeps times),
 * exits non-zero on any finding, and prints no value: not a generated secret, nor any 6-character
 * piece of one, nor a plain variable's value.
 *
 * Vault is read over HTTP with the reader's real Kubernetes login and the reader policy the stack
 * itself renders; Secrets Manager through the AWS SDK; Secret Manager and Key Vault through the
 * readers over the rotators' client interfaces (their REST clients are the rotators', tested there).
 */
import { randomBytes } from "crypto";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import {
  planSecrets,
  rotationMasterIds,
  ConnectionDeclaration,
  SecretsDeclarations,
} from "../../components/airflow";
import { backendStore, readStackTarget, StackTarget } from "../../cli/import/stackTarget";
import { resolveOutput } from "../../cli/synth/mockRuntime";
import { standbyDeclarations } from "../../components/mirror";
import { findProject } from "../../cli/synth/stackFile";
import { synthesize } from "../../cli/synth/synth";
import { main } from "../../cli/main";
import { ReaderContext, runVerify, VerifyDeps, VerifyReport } from "../../cli/verify";
import { fernetSecretName } from "../../cli/verify/expected";
import { keyVaultStoreReader, secretManagerStoreReader } from "../../cli/verify/stores";
import { FakeKeyVault } from "../azure/fakeKeyVault";
import { FakeSecretManager } from "../gcp/fakeSecretManager";
import { FakeSecretsManager } from "../support/fakeSecretsManager";
import { FakeVault } from "../support/fakeVault";
import { one } from "../support/resources";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");
const DAY_MS = 24 * 60 * 60 * 1000;

/** A store stand-in as a test sees it: write a new current version; what verify needs to reach it. */
interface Store {
  write(name: string, value: string): Promise<void>;
  /** Makes an earlier value current again the way the store's own rollback does. */
  rollback(name: string, earlierValue: string): Promise<void>;
  argv: string[];
  deps: VerifyDeps;
  close(): Promise<void>;
  /** The Vault stand-in itself, for the tests of the reader's rights. */
  vault?: FakeVault;
}

interface BackendCase {
  label: string;
  stackFile: string;
  /** The stack declares rotated connections (the Vault stack's database credentials are not in KV). */
  rotates: boolean;
  start(target: StackTarget, dir: string): Promise<Store>;
}

const secretValue = () => `S${randomBytes(18).toString("base64url")}`;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The stack file's declarations with each `secure:` leaf replaced by a generated secret. */
function decrypt(value: unknown, secrets: string[]): unknown {
  if (isRecord(value) && Object.keys(value).length === 1 && "secure" in value) {
    const secret = secretValue();
    secrets.push(secret);
    return secret;
  }
  if (Array.isArray(value)) return value.map((item) => decrypt(item, secrets));
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decrypt(v, secrets)]));
  return value;
}

interface Deployment {
  target: StackTarget;
  declarations: Required<SecretsDeclarations>;
  /** Every generated secret (the config's and the ones written later), which no output may contain. */
  secrets: string[];
  configJsonFile: string;
  masters: ReadonlySet<string>;
}

function prepare(stackFile: string, dir: string): Deployment {
  const target = readStackTarget(path.resolve(ROOT, stackFile));
  const config = target.document.toJS().config as Record<string, unknown>;
  const secrets: string[] = [];
  const list = (key: string) => {
    const raw = config[`airflow-secrets:${key}`];
    return (Array.isArray(raw) ? decrypt(raw, secrets) : []) as never[];
  };
  const declarations = {
    connections: list("connections"),
    variables: list("variables"),
    config: list("config"),
  };
  // `pulumi config --show-secrets --json`: every key with its value as text and, for lists, objectValue.
  const json = Object.fromEntries(
    Object.entries(config).map(([key, value]) => {
      const plain = key.startsWith("airflow-secrets:")
        ? ((declarations as Record<string, unknown>)[key.slice("airflow-secrets:".length)] ?? value)
        : value;
      return [
        key,
        typeof plain === "string"
          ? { value: plain, secret: false }
          : { value: JSON.stringify(plain), objectValue: plain, secret: true },
      ];
    }),
  );
  const configJsonFile = path.join(dir, "config.json");
  fs.writeFileSync(configJsonFile, JSON.stringify(json, null, 2));
  return {
    target,
    declarations,
    secrets,
    configJsonFile,
    masters: rotationMasterIds(declarations.connections as ConnectionDeclaration[]),
  };
}

/** What `pulumi up` stores for these declarations: name → encoded value, from the contract's plan. */
async function planned(target: StackTarget, declarations: SecretsDeclarations) {
  const plan = planSecrets({
    backend: target.kind,
    environment: target.environment,
    declarations,
    airflow: target.airflow,
    layout: target.layout,
  });
  const values = new Map<string, { kind: string; id: string; value: string }>();
  for (const secret of plan.secrets)
    values.set(secret.name, {
      kind: secret.kind,
      id: secret.id,
      value: (await resolveOutput(secret.value)).value,
    });
  return values;
}

/** The declarations with one id's value changed to a new generated secret (its password, else host or value). */
function variant(deployment: Deployment, kind: string, id: string): SecretsDeclarations {
  const copy = JSON.parse(JSON.stringify(deployment.declarations)) as Required<SecretsDeclarations>;
  const secret = secretValue();
  deployment.secrets.push(secret);
  if (kind === "connection") {
    const conn = copy.connections.find((c) => c.conn_id === id)!;
    if (conn.password !== undefined) conn.password = secret;
    else conn.host = `h${secret.toLowerCase().replace(/[^a-z0-9]/g, "")}.example`;
  } else if (kind === "variable") copy.variables.find((v) => v.key === id)!.value = secret;
  else copy.config.find((c) => (c.key ?? c.option) === id)!.value = secret;
  return copy;
}

function fernetKey(deployment: Deployment): string {
  const key = randomBytes(32).toString("base64url") + "=";
  deployment.secrets.push(key);
  return key;
}

/** Writes what a correct deployment holds: declared values, rotated passwords already changed by the rotator. */
async function deployAll(store: Store, deployment: Deployment, skipNames: ReadonlySet<string> = new Set()) {
  const values = await planned(deployment.target, deployment.declarations);
  for (const [name, { kind, id, value }] of values) {
    if (skipNames.has(name) || (kind === "connection" && deployment.masters.has(id))) continue;
    const rotated = deployment.declarations.connections.find(
      (c) => c.conn_id === id && kind === "connection",
    )?.rotation;
    if (rotated) {
      const rotatedValues = await planned(deployment.target, variant(deployment, "connection", id));
      await store.write(name, rotatedValues.get(name)!.value);
    } else await store.write(name, value);
  }
  if (deployment.target.document.toJS().config["airflow-secrets:fernet"] !== undefined) {
    const name = fernetSecretName(
      deployment.target.kind,
      deployment.target.profile,
      deployment.target.layout,
    );
    if (!skipNames.has(name)) await store.write(name, storedScalar(deployment.target, fernetKey(deployment)));
  }
  return values;
}

/** A scalar as the backend stores it (Vault: `{"value": …}`). */
const storedScalar = (target: StackTarget, value: string) => target.profile.encodeScalar(value);

/** Runs `verify` in this repository with `argv`, its output captured. */
async function runVerifyCaptured(argv: string[], deps?: VerifyDeps) {
  let stdout = "";
  let stderr = "";
  const code = await runVerify(
    ["--cwd", ROOT, ...argv],
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
    deps,
  );
  return { code, stdout, stderr };
}

async function verify(store: Store, deployment: Deployment, extra: string[] = [], deps: VerifyDeps = {}) {
  const run = (json: boolean) =>
    runVerifyCaptured(
      ["--config-file", deployment.target.file, ...store.argv, ...extra, ...(json ? ["--json"] : [])],
      { ...store.deps, ...deps },
    );
  const [json, text] = [await run(true), await run(false)];
  expect(text.code).toBe(json.code);
  assertNoValues(`${json.stdout}${json.stderr}${text.stdout}${text.stderr}`, deployment);
  if (json.code === 2) throw new Error(`verify failed to run: ${json.stderr}`);
  return { code: json.code, report: JSON.parse(json.stdout) as VerifyReport, text: text.stdout };
}

/** No generated secret, no 6-character piece of one and no plain variable value appears in the output. */
function assertNoValues(output: string, deployment: Deployment) {
  expect(deployment.secrets.length).toBeGreaterThan(0);
  for (const secret of deployment.secrets)
    for (let i = 0; i + 6 <= secret.length; i++) expect(output).not.toContain(secret.slice(i, i + 6));
  const plainValues = deployment.declarations.variables
    .map((v) => v.value)
    .filter((v): v is string => typeof v === "string");
  expect(plainValues.length).toBeGreaterThan(0);
  for (const value of plainValues) expect(output).not.toContain(value);
}

const statusById = (report: VerifyReport) =>
  Object.fromEntries(report.verdicts.map((v) => [`${v.kind}:${v.id}`, v.status]));

const BACKENDS: BackendCase[] = [
  {
    label: "Vault (KV v2 over HTTP, the reader's Kubernetes login and rendered policy)",
    stackFile: "stacks/Pulumi.staging.yaml",
    rotates: false,
    async start(target, dir) {
      const vault = await FakeVault.start();
      const synth = await synthesize({
        project: findProject(ROOT),
        stack: "staging",
        configFile: target.file,
      });
      const mount = (synth.airflowConfig!.backendKwargs as { mount_point: string }).mount_point;
      vault.enableKv(mount);
      const reader = one(synth.raw, "vault:index/policy:Policy", /reader$/).inputs as {
        name: string;
        policy: string;
      };
      vault.writePolicy(reader.name, reader.policy);
      const role = one(synth.raw, "vault:kubernetes/authBackendRole:AuthBackendRole").inputs as {
        roleName: string;
        boundServiceAccountNames: string[];
        boundServiceAccountNamespaces: string[];
        tokenPolicies: string[];
      };
      vault.writeKubernetesRole(role.roleName, {
        boundServiceAccountNames: role.boundServiceAccountNames,
        boundServiceAccountNamespaces: role.boundServiceAccountNamespaces,
        policies: role.tokenPolicies,
      });
      const jwtFile = path.join(dir, "token");
      fs.writeFileSync(
        jwtFile,
        vault.serviceAccountJwt(role.boundServiceAccountNamespaces[0], role.boundServiceAccountNames[0]),
      );
      return {
        write: async (name, value) => void vault.kvPut(mount, name, JSON.parse(value)),
        // `vault kv rollback` writes the earlier version's data as a new version.
        rollback: async (name, value) => void vault.kvPut(mount, name, JSON.parse(value)),
        argv: ["--endpoint", vault.address, "--jwt-file", jwtFile],
        deps: { env: {} },
        close: () => vault.close(),
        vault,
      };
    },
  },
  {
    label: "AWS Secrets Manager (the AWS SDK)",
    stackFile: "stacks/Pulumi.prod.yaml",
    rotates: true,
    async start() {
      const fake = await FakeSecretsManager.start();
      const client = new SecretsManagerClient({
        endpoint: fake.endpoint,
        region: "eu-west-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      const created = new Set<string>();
      return {
        async write(name, value) {
          if (!created.has(name)) {
            fake.createSecret(name, value);
            created.add(name);
          } else await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
          // Version times are kept to the millisecond: keep each write's distinct.
          await new Promise((resolve) => setTimeout(resolve, 5));
        },
        /** Secrets Manager's rollback moves AWSCURRENT back to the earlier version (AWSPREVIOUS follows). */
        async rollback(name, value) {
          const earlier = fake.versionIds(name).find((id) => fake.value(name, { versionId: id }) === value)!;
          const current = fake.versionIds(name).find((id) => fake.stages(name)[id]?.includes("AWSCURRENT"))!;
          expect(earlier).toBeDefined();
          await client.send(
            new UpdateSecretVersionStageCommand({
              SecretId: name,
              VersionStage: "AWSCURRENT",
              MoveToVersionId: earlier,
              RemoveFromVersionId: current,
            }),
          );
        },
        argv: ["--endpoint", fake.endpoint],
        deps: {},
        close: async () => {
          client.destroy();
          await fake.close();
        },
      };
    },
  },
  {
    label: "GCP Secret Manager",
    stackFile: "stacks/examples/Pulumi.prod-gcp.yaml",
    rotates: true,
    async start() {
      // The stand-in answers for the project the stack names (by id) and a project number.
      const fake = new FakeSecretManager("acme-data-prod", "123456789012");
      const created = new Set<string>();
      return {
        async write(name, value) {
          if (!created.has(name)) {
            fake.createSecret(name);
            created.add(name);
          }
          fake.seed(name, value);
        },
        // Secret Manager has no rollback: the earlier payload is added again as the newest version.
        rollback: async (name, value) => void fake.seed(name, value),
        argv: [],
        deps: {
          readerFor: async (context) =>
            secretManagerStoreReader(fake, context.backendKwargs.project_id as string),
        },
        close: async () => undefined,
      };
    },
  },
  {
    label: "Azure Key Vault",
    stackFile: "stacks/examples/Pulumi.prod-azure.yaml",
    rotates: true,
    async start() {
      const fake = new FakeKeyVault();
      // The stand-in keeps no times; Key Vault's `attributes.created` is when the harness wrote the version.
      const created = new Map<string, Date>();
      const set = async (name: string, value: string) =>
        void created.set((await fake.setSecret(name, value)).version, new Date());
      return {
        write: set,
        // Key Vault restores an earlier value by setting it again (a new version).
        rollback: set,
        argv: [],
        deps: {
          readerFor: async () =>
            keyVaultStoreReader({
              getSecret: (name) => fake.getSecret(name),
              listVersions: async (name) =>
                fake.history(name).map((v) => ({ version: v.version, created: created.get(v.version) })),
              getSecretVersion: async (name, version) =>
                fake.history(name).find((v) => v.version === version),
            }),
        },
        close: async () => undefined,
      };
    },
  },
];

let dir: string;
const savedEnv = { ...process.env };

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
  // The AWS SDK's default chain reads these; they reach only the local stand-in.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" });
  delete process.env.AWS_PROFILE;
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  process.env = savedEnv;
});

/** A fresh case directory, deployment of `backend`'s stack file and store for each test (closed after it). */
function deployedCaseEach(backend: BackendCase): { store: Store; deployment: Deployment } {
  const current = {} as { store: Store; deployment: Deployment };
  beforeEach(async () => {
    const caseDir = fs.mkdtempSync(path.join(dir, "case-"));
    current.deployment = prepare(backend.stackFile, caseDir);
    current.store = await backend.start(current.deployment.target, caseDir);
  });
  afterEach(async () => current.store.close());
  return current;
}

describe.each(BACKENDS)("verify: $label", (backend) => {
  const fixture = deployedCaseEach(backend);

  it("passes on a correct deployment, with and without the decrypted config", async () => {
    await deployAll(fixture.store, fixture.deployment);
    const compared = await verify(fixture.store, fixture.deployment, [
      "--config-json",
      fixture.deployment.configJsonFile,
    ]);
    expect(compared.report.secretValues).toBe("compared");
    expect(compared.report.verdicts.length).toBeGreaterThan(0);
    for (const verdict of compared.report.verdicts) expect(["ok", "skipped"]).toContain(verdict.status);
    expect(compared.report.verdicts.filter((v) => v.status === "ok").length).toBeGreaterThanOrEqual(3);
    expect(compared.code).toBe(0);
    expect(compared.text).toMatch(/no finding\. No value was printed\.\n$/);

    const presence = await verify(fixture.store, fixture.deployment);
    expect(presence.report.secretValues).toBe("presence only");
    expect(presence.code).toBe(0);
  });

  it("finds an injected missing, altered and stale value, exits 1 and prints none of the values", async () => {
    const values = await planned(fixture.deployment.target, fixture.deployment.declarations);
    const plain = [...values.entries()].filter(
      ([, v]) =>
        !(v.kind === "connection" && fixture.deployment.masters.has(v.id)) &&
        !fixture.deployment.declarations.connections.some(
          (c) => c.conn_id === v.id && c.rotation && v.kind === "connection",
        ),
    );
    expect(plain.length).toBeGreaterThanOrEqual(3);
    const [[missingName, missing], [alteredName, altered], [staleName, stale]] = plain;
    await deployAll(fixture.store, fixture.deployment, new Set([missingName]));
    const alteredValue = (
      await planned(fixture.deployment.target, variant(fixture.deployment, altered.kind, altered.id))
    ).get(alteredName)!;
    await fixture.store.write(alteredName, alteredValue.value);
    // A rollback: the declared value replaced by the one before it.
    const earlier = (
      await planned(fixture.deployment.target, variant(fixture.deployment, stale.kind, stale.id))
    ).get(staleName)!;
    await fixture.store.write(staleName, earlier.value);
    await fixture.store.write(staleName, values.get(staleName)!.value);
    await fixture.store.rollback(staleName, earlier.value);

    const run = await verify(fixture.store, fixture.deployment, [
      "--config-json",
      fixture.deployment.configJsonFile,
    ]);
    expect(run.code).toBe(1);
    const statuses = statusById(run.report);
    expect(statuses[`${missing.kind}:${missing.id}`]).toBe("missing");
    expect(statuses[`${altered.kind}:${altered.id}`]).toBe("altered");
    expect(statuses[`${stale.kind}:${stale.id}`]).toBe("stale");
    expect(run.report.findings).toBe(3);
    const alteredVerdict = run.report.verdicts.find((v) => v.id === altered.id && v.kind === altered.kind)!;
    expect(alteredVerdict.detail).toMatch(/differs from the declaration in: (password|host|value)/);
    expect(run.text).toMatch(/3 findings \(1 missing, 1 altered, 1 stale\)/);
  });
});

describe.each(BACKENDS.filter((b) => b.rotates))("verify, rotation: $label", (backend) => {
  const fixture = deployedCaseEach(backend);

  it("reports a rotated connection that has not changed within its rotation period as stale", async () => {
    const rotated = fixture.deployment.declarations.connections.filter(
      (c) => c.rotation && !fixture.deployment.masters.has(c.conn_id),
    );
    expect(rotated.length).toBeGreaterThan(0);
    await deployAll(fixture.store, fixture.deployment);
    const soon = await verify(fixture.store, fixture.deployment, [], {
      now: () => new Date(Date.now() + DAY_MS),
    });
    expect(soon.code).toBe(0);
    const late = new Date(Date.now() + (Math.max(...rotated.map((c) => c.rotation!.everyDays)) + 2) * DAY_MS);
    const run = await verify(fixture.store, fixture.deployment, [], { now: () => late });
    expect(run.code).toBe(1);
    for (const conn of rotated) {
      const verdict = run.report.verdicts.find((v) => v.kind === "connection" && v.id === conn.conn_id)!;
      expect(verdict.status).toBe("stale");
      expect(verdict.detail).toMatch(new RegExp(`rotated every ${conn.rotation!.everyDays} days`));
    }
  });
});

describe("verify: Airflow's reading, the reader's rights, the command line", () => {
  let caseDir: string;
  beforeEach(() => {
    caseDir = fs.mkdtempSync(path.join(dir, "case-"));
  });

  it("accepts any value Airflow reads the same: Secrets Manager's key aliases, another key order, the URI form", async () => {
    const aws = BACKENDS.find((b) => b.stackFile === "stacks/Pulumi.prod.yaml")!;
    const deployment = prepare(aws.stackFile, caseDir);
    const store = await aws.start(deployment.target, caseDir);
    try {
      const values = await deployAll(store, deployment);
      const connections = [...values.entries()].filter(
        ([, v]) =>
          v.kind === "connection" &&
          !deployment.masters.has(v.id) &&
          !deployment.declarations.connections.find((c) => c.conn_id === v.id)?.rotation,
      );
      expect(connections.length).toBeGreaterThan(0);
      for (const [name, { value }] of connections) {
        const fields = JSON.parse(value) as Record<string, unknown>;
        const aliases: Record<string, string> = {
          login: "user",
          password: "pass",
          host: "server",
          schema: "database",
        };
        const rewritten = Object.fromEntries(
          Object.entries(fields)
            .reverse()
            .map(([k, v]) => [aliases[k] ?? k, v]),
        );
        await store.write(name, JSON.stringify(rewritten));
      }
      const aliased = await verify(store, deployment, ["--config-json", deployment.configJsonFile]);
      expect(aliased.code).toBe(0);
      const declared = deployment.declarations.connections.find((c) => c.conn_id === connections[0][1].id)!;
      await store.write(
        connections[0][0],
        deployment.target.profile.encodeConnection(declared as never, "uri"),
      );
      const uri = await verify(store, deployment, ["--config-json", deployment.configJsonFile]);
      expect(uri.code).toBe(0);
      expect(statusById(uri.report)[`connection:${declared.conn_id}`]).toBe("ok");
    } finally {
      await store.close();
    }
  });

  it("Vault: a token without the reader's policy is denied every id (exit 1); an unbound service account cannot log in (exit 2)", async () => {
    const vaultCase = BACKENDS.find((b) => b.stackFile === "stacks/Pulumi.staging.yaml")!;
    const deployment = prepare(vaultCase.stackFile, caseDir);
    const store = await vaultCase.start(deployment.target, caseDir);
    const vault = await FakeVault.start();
    try {
      await deployAll(store, deployment);
      const endpoint = store.vault!.address;
      // A valid token with only Vault's default policy (as an operator's token without the reader's).
      const withoutReader = store.vault!.createToken([]).token;
      const denied = await verify({ ...store, argv: ["--endpoint", endpoint] }, deployment, [], {
        env: { VAULT_TOKEN: withoutReader },
      });
      expect(denied.code).toBe(1);
      expect(denied.report.verdicts.length).toBeGreaterThan(0);
      for (const verdict of denied.report.verdicts) expect(verdict.status).toBe("denied");

      // A token minted by another Vault's Kubernetes auth (another key) is refused at login.
      const foreign = path.join(caseDir, "foreign-token");
      fs.writeFileSync(foreign, vault.serviceAccountJwt("airflow-staging", "airflow"));
      const { code, stderr } = await runVerifyCaptured(
        ["--config-file", deployment.target.file, "--endpoint", endpoint, "--jwt-file", foreign],
        { env: {} },
      );
      expect(code).toBe(2);
      expect(stderr).toMatch(/Kubernetes login as role airflow-staging failed \(HTTP 403\)/);
    } finally {
      await Promise.all([store.close(), vault.close()]);
    }
  });

  it("refuses the decrypted config of another stack, naming where it differs and printing no value", async () => {
    const aws = prepare("stacks/Pulumi.prod.yaml", caseDir);
    const gcp = prepare("stacks/examples/Pulumi.prod-gcp.yaml", fs.mkdtempSync(path.join(dir, "case-")));
    const { code, stdout, stderr } = await runVerifyCaptured(
      ["--config-file", aws.target.file, "--config-json", gcp.configJsonFile],
      { readerFor: async () => Promise.reject(new Error("must not be reached")) },
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /the decrypted config does not match the stack file at airflow-secrets:connections/,
    );
    assertNoValues(stdout + stderr, { ...gcp, secrets: [...gcp.secrets, ...aws.secrets] });
  });

  it("says which credentials Airflow uses that the caller must arrange: an assumed AWS role, Vault's CA file", async () => {
    const notes = async (stackFile: string, env: NodeJS.ProcessEnv) => {
      const { code, stderr } = await runVerifyCaptured(
        ["--config-file", path.join(ROOT, stackFile)],
        // A store that holds nothing: every id is missing, which is beside the point here.
        { env, readerFor: async () => ({ current: async () => undefined, earlier: async () => [] }) },
      );
      expect(code).toBe(1);
      return stderr;
    };
    const multiAccount = await notes("stacks/examples/Pulumi.prod-multi-account.yaml", {});
    expect(multiAccount).toMatch(
      /^note: Airflow assumes arn:aws:iam::\d+:role\/\S+ \(backend_kwargs\.role_arn\); verify reads with your credentials/m,
    );
    expect(await notes("stacks/Pulumi.staging.yaml", {})).toMatch(
      /^note: Airflow checks Vault's certificate against \/etc\/ssl\/certs\/vault-ca\.pem; .*NODE_EXTRA_CA_CERTS/m,
    );
    expect(
      await notes("stacks/Pulumi.staging.yaml", { NODE_EXTRA_CA_CERTS: "/etc/ssl/certs/vault-ca.pem" }),
    ).toBe("");
  });

  it("--via mirror names the missing standby setting; usage errors exit 2; main knows the command", async () => {
    const run = (argv: string[]) => runVerifyCaptured(argv);
    const mirror = await run(["--stack", "prod", "--via", "mirror"]);
    expect(mirror.code).toBe(2);
    expect(mirror.stderr).toMatch(/--via mirror needs an airflow-secrets:mirror setting/);
    expect((await run([])).stderr).toMatch(/--stack NAME or --config-file FILE is required/);
    expect((await run(["--stack", "prod", "--via", "standby"])).code).toBe(2);
    let stdout = "";
    expect(await main(["verify", "--help"], { stdout: (t) => (stdout += t), stderr: () => undefined })).toBe(
      0,
    );
    expect(stdout).toMatch(/^usage: airflow-secrets verify/);
  });
});

describe("verify --via mirror", () => {
  it("reads the standby with its own names and its rendered (inactive) Airflow configuration", async () => {
    const caseDir = fs.mkdtempSync(path.join(dir, "case-"));
    // The AWS prod stack with the GCP example's settings as its standby (rotation stays with the primary).
    const stack = parseYaml(fs.readFileSync(path.join(ROOT, "stacks/Pulumi.prod.yaml"), "utf8"));
    const gcpExample = parseYaml(
      fs.readFileSync(path.join(ROOT, "stacks/examples/Pulumi.prod-gcp.yaml"), "utf8"),
    );
    const { rotation: _rotation, ...gcpSettings } = gcpExample.config["airflow-secrets:gcp"];
    stack.config["airflow-secrets:mirror"] = { backend: "gcp", gcp: gcpSettings };
    const stackFile = path.join(caseDir, "Pulumi.prod-with-standby.yaml");
    fs.writeFileSync(stackFile, stringifyYaml(stack));

    const primary = prepare(stackFile, caseDir);
    // What the standby stores: rotated connections as declared (no rotator), no rotation master.
    const standby: Deployment = {
      ...primary,
      declarations: standbyDeclarations(primary.declarations) as Required<SecretsDeclarations>,
      masters: new Set(),
      target: { ...primary.target, ...backendStore("gcp", gcpSettings, primary.target.environment) },
    };
    const rotated = primary.declarations.connections.filter(
      (c) => c.rotation && !primary.masters.has(c.conn_id),
    );
    expect(rotated.length).toBeGreaterThan(0);
    const gcp = BACKENDS.find((b) => b.stackFile === "stacks/examples/Pulumi.prod-gcp.yaml")!;
    const contexts: ReaderContext[] = [];
    const run = async (skip: ReadonlySet<string>, after?: (store: Store) => Promise<void>, now?: Date) => {
      const store = await gcp.start(standby.target, caseDir);
      try {
        const values = await deployAll(store, standby, skip);
        await after?.(store);
        const recorded: VerifyDeps = {
          ...(now ? { now: () => now } : {}),
          readerFor: async (context) => {
            contexts.push(context);
            return store.deps.readerFor!(context);
          },
        };
        return {
          values,
          ...(await verify({ ...store, deps: recorded }, standby, [
            "--via",
            "mirror",
            "--config-json",
            standby.configJsonFile,
          ])),
        };
      } finally {
        await store.close();
      }
    };

    const whole = await run(new Set());
    // Secret Manager's names, not Secrets Manager's paths.
    expect([...whole.values.keys()].every((name) => /^[A-Za-z0-9_-]+$/.test(name))).toBe(true);
    expect(whole.code).toBe(0);
    expect(whole.report).toMatchObject({ via: "mirror", store: "GCP Secret Manager", findings: 0 });
    expect(contexts[0]).toMatchObject({
      kind: "gcp-secret-manager",
      backendKwargs: { project_id: gcpSettings.project, connections_prefix: "airflow-prod-connections" },
    });

    // No rotation master on the standby; a rotated connection is compared with its declared value.
    expect(whole.report.verdicts.map((v) => v.id)).not.toContain(rotated[0].rotation!.masterConnId ?? "-");
    const [rotatedName] = [...whole.values.entries()].find(([, v]) => v.id === rotated[0].conn_id)!;
    const notRefreshed = await run(new Set(), async (store) => {
      const older = await planned(standby.target, variant(standby, "connection", rotated[0].conn_id));
      await store.write(rotatedName, older.get(rotatedName)!.value);
    });
    expect(notRefreshed.code).toBe(1);
    const verdict = notRefreshed.report.verdicts.find((v) => v.id === rotated[0].conn_id)!;
    expect(verdict).toMatchObject({ status: "altered", detail: "differs from the declaration in: password" });

    // Held unchanged for longer than the rotation period: the primary has rotated since the last refresh.
    const everyDays = rotated[0].rotation!.everyDays;
    const late = await run(new Set(), undefined, new Date(Date.now() + (everyDays + 2) * DAY_MS));
    expect(late.code).toBe(1);
    expect(late.report.verdicts.find((v) => v.id === rotated[0].conn_id)).toMatchObject({
      status: "stale",
      detail: expect.stringMatching(new RegExp(`rotated every ${everyDays} days`)),
    });

    const [missingName, missing] = [...whole.values.entries()].find(([, v]) => v.kind === "variable")!;
    const partial = await run(new Set([missingName]));
    expect(partial.code).toBe(1);
    expect(statusById(partial.report)[`variable:${missing.id}`]).toBe("missing");
  });
});
