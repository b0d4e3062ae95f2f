/**
 * Failover is one reviewed change (`backend` <-> `mirror.backend`, each settings block with it): the
 * shipped standby example is synthesized in both orders, and the two programs must register the same
 * resources (same engine URNs, same inputs) except the ConfigMap Airflow reads, whose data becomes
 * what the other order rendered as `mirror.airflowConfig`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findProject, readYamlFile } from "../../cli/synth/stackFile";
import { SynthResult, redact, synthesize } from "../../cli/synth/synth";
import { runChecks } from "../../cli/check";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";
import { engineUrns } from "../urns/urns";
import { REPO } from "../support/shippedStacks";

const EXAMPLE = path.join(REPO, "stacks/examples/Pulumi.staging-standby.yaml");
const NS = "airflow-secrets";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const ENVIRONMENT = "airflow-secrets:index:AirflowSecretsEnvironment";

type Config = Record<string, unknown>;

/** The failover change: the standby becomes the primary and the primary the standby. */
function failover(config: Config): Config {
  const primary = config[`${NS}:backend`] as string;
  const mirror = config[`${NS}:mirror`] as Record<string, unknown>;
  const standby = mirror.backend as string;
  const out: Config = { ...config };
  delete out[`${NS}:${primary}`];
  out[`${NS}:backend`] = standby;
  out[`${NS}:${standby}`] = mirror[standby];
  out[`${NS}:mirror`] = { backend: primary, [primary]: config[`${NS}:${primary}`] };
  return out;
}

let asShipped: SynthResult;
let failedOver: SynthResult;
let dir: string;

beforeAll(async () => {
  const project = findProject(REPO);
  const document = readYamlFile(EXAMPLE) as { config: Config };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "failover-"));
  const swapped = path.join(dir, "Pulumi.staging.yaml");
  // JSON is YAML: the stack file reader takes it as Pulumi would.
  fs.writeFileSync(swapped, JSON.stringify({ config: failover(document.config) }, null, 2));
  asShipped = await synthesize({ project, stack: "staging", configFile: EXAMPLE });
  failedOver = await synthesize({ project, stack: "staging", configFile: swapped });
}, 120000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Each resource's redacted inputs by engine URN (the URN a deployment has, parents' types included). */
function byEngineUrn(result: SynthResult): Map<string, unknown> {
  const engine = engineUrns(result.raw);
  return new Map(result.raw.map((r) => [engine.get(r.urn)!, { type: r.type, inputs: redact(r.inputs) }]));
}

test("the change swaps which backend is primary", () => {
  expect(asShipped.outputs.backend).toBe("vault");
  expect(failedOver.outputs.backend).toBe("aws");
  expect((asShipped.outputs.mirror as { backend: string }).backend).toBe("aws");
  expect((failedOver.outputs.mirror as { backend: string }).backend).toBe("vault");
});

test("both orders register the same resources, under the same URNs, both backends' stores included", () => {
  const before = byEngineUrn(asShipped);
  const after = byEngineUrn(failedOver);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  const types = new Set(asShipped.raw.map((r) => r.type));
  expect(types).toContain("vault:kv/secretV2:SecretV2");
  expect(types).toContain("aws:secretsmanager/secret:Secret");
  expect(types).toContain("aws:iam/role:Role");
});

test("nothing changes but the ConfigMap's data and the environment's record of the active backend", () => {
  const before = byEngineUrn(asShipped);
  const after = byEngineUrn(failedOver);
  const changed = [...before.keys()].filter(
    (urn) => JSON.stringify(before.get(urn)) !== JSON.stringify(after.get(urn)),
  );
  const typeOf = (urn: string) => (before.get(urn) as { type: string }).type;
  expect(changed.map(typeOf).sort()).toEqual([ENVIRONMENT, CONFIG_MAP].sort());
  // The environment component (no cloud resource) records which backend is active, for the policy pack.
  const environment = changed.find((urn) => typeOf(urn) === ENVIRONMENT)!;
  const inputs = (result: Map<string, unknown>) => (result.get(environment) as { inputs: object }).inputs;
  const { activeBackend: a, standbyBackend: b, ...rest } = inputs(before) as Record<string, unknown>;
  const { activeBackend: c, standbyBackend: d, ...restAfter } = inputs(after) as Record<string, unknown>;
  expect([a, b, c, d]).toEqual(["vault", "aws", "aws", "vault"]);
  expect(restAfter).toEqual(rest);
});

test("the active config after failover is the one rendered as mirror before, and back", () => {
  const mirrorOf = (r: SynthResult) =>
    r.outputs.mirror as { airflowConfig: { env: Record<string, string> }; helmValues: unknown };
  expect(failedOver.outputs.airflowEnv).toEqual(mirrorOf(asShipped).airflowConfig.env);
  expect(failedOver.outputs.helmValues).toEqual(mirrorOf(asShipped).helmValues);
  expect(asShipped.outputs.airflowEnv).toEqual(mirrorOf(failedOver).airflowConfig.env);
  expect(asShipped.outputs.helmValues).toEqual(mirrorOf(failedOver).helmValues);
  expect(asShipped.outputs.airflowEnv).not.toEqual(failedOver.outputs.airflowEnv);
  const configMapData = (r: SynthResult) =>
    (r.raw.find((x) => x.type === CONFIG_MAP)!.inputs as { data: Record<string, string> }).data;
  expect(configMapData(asShipped)).toEqual(asShipped.outputs.airflowEnv);
  expect(configMapData(failedOver)).toEqual(failedOver.outputs.airflowEnv);
});

test("Airflow's service account carries both readers' bindings in either order", () => {
  const account = (r: SynthResult) =>
    redact(r.raw.find((x) => x.type === "kubernetes:core/v1:ServiceAccount")!.inputs) as {
      metadata: { annotations: Record<string, string> };
    };
  expect(account(asShipped).metadata.annotations["eks.amazonaws.com/role-arn"]).toMatch(/secrets-reader$/);
  expect(account(failedOver)).toEqual(account(asShipped));
});

test("synth shows both plans: each backend's secrets and the emergency file, which stays secret", () => {
  const names = (type: string) => asShipped.resources.filter((r) => r.type === type).map((r) => r.name);
  expect(names("vault:kv/secretV2:SecretV2")).toContain(
    "staging-vault-kv-variable-airflow_secrets_emergency_connections",
  );
  expect(names("aws:secretsmanager/secret:Secret").length).toBe(names("vault:kv/secretV2:SecretV2").length);
  expect(asShipped.outputs.emergencyConnections).toBe("[secret]");
});

describe("rotation-within-cadence with a standby, in production", () => {
  // The shipped production stack (AWS, alternating-users rotation of the warehouse) with a Vault standby.
  const production = (failedOverToVault: boolean): Config => {
    const prod = (readYamlFile(path.join(REPO, "stacks/Pulumi.prod.yaml")) as { config: Config }).config;
    const staging = (readYamlFile(path.join(REPO, "stacks/Pulumi.staging.yaml")) as { config: Config })
      .config;
    // The staging Vault's KV and auth, without its own database engine (staging's TTLs are not production's).
    const { database: _database, ...vault } = staging[`${NS}:vault`] as Record<string, unknown>;
    void _database;
    const config = { ...prod, [`${NS}:mirror`]: { backend: "vault", vault } };
    if (!failedOverToVault) return config;
    // A standby rotates nothing, so the failover also leaves the AWS rotation function's settings out.
    const swapped = failover(config);
    const standby = swapped[`${NS}:mirror`] as { aws: Record<string, unknown> };
    const { rotation: _unused, ...aws } = standby.aws;
    void _unused;
    return { ...swapped, [`${NS}:mirror`]: { backend: "aws", aws } };
  };
  const violationsOf = async (config: Config) => {
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, JSON.stringify({ config }, null, 2));
    const report = await runChecks(await synthFromArgs(parseSynthArgs(["--config-file", file])));
    const outcome = report.policies.find((p) => p.name === "rotation-within-cadence")!;
    expect(outcome.status).not.toBe("not-applicable");
    return outcome.violations.map((v) => v.message);
  };

  it("the standby's copies answer to the primary's rotation, not to their own", async () => {
    expect(await violationsOf(production(false))).toEqual([]);
  }, 120000);

  it("failing over to a standby that does not rotate the login is reported on the new primary", async () => {
    const found = await violationsOf(production(true));
    expect(found.length).toBeGreaterThan(0);
    for (const message of found) expect(message).toMatch(/vault:kv\/secretV2:SecretV2/);
  }, 120000);
});
