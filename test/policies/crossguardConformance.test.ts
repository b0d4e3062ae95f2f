/**
 * The offline adapter against @pulumi/policy's own analyzer server code: the same requests the
 * Pulumi engine sends (AnalyzeRequest / AnalyzeStackRequest / RemediateRequest protos, secrets in
 * wire form) go through the real `makeAnalyzeRpcFun`, `makeAnalyzeStackRpcFun` and
 * `makeRemediateRpcFun`, and must produce the diagnostics and remediations `check` reports.
 */
import type { Policy, ResourceValidationPolicy } from "@pulumi/policy";
import { analyze, describeChanges } from "../../cli/check/crossguard";
import { PACK_NAME, policies } from "../../policies/policies";
import { Fixture, UNKNOWN_STRING, environment, resource, secret } from "./harness";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const server = require("@pulumi/policy/server");

const LEVELS: Record<number, string> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
const VERSION = "0.1.0";

function options(r: Fixture) {
  const opts = new analyzerProto.AnalyzerResourceOptions();
  opts.setProtect(r.protect);
  return opts;
}

function call(
  fn: (call: unknown, cb: (err: unknown, resp: any) => void) => void,
  request: unknown,
): Promise<any> {
  return new Promise((resolve, reject) =>
    fn({ request }, (err, resp) => (err ? reject(err) : resolve(resp))),
  );
}

interface Diagnostic {
  policy: string;
  message: string;
  level: string;
  urn: string;
}

/** What the engine would receive from the real analyzer for these resources (default config). */
async function realAnalyzer(
  resources: Fixture[],
  outputs: (r: Fixture, inputs: Record<string, unknown>) => Record<string, unknown>,
) {
  const analyzeRpc = server.makeAnalyzeRpcFun(PACK_NAME, VERSION, "mandatory", policies);
  const stackRpc = server.makeAnalyzeStackRpcFun(PACK_NAME, VERSION, "mandatory", policies);
  const remediateRpc = server.makeRemediateRpcFun(PACK_NAME, VERSION, "mandatory", policies);
  const diagnostics: Diagnostic[] = [];
  const remediations: Array<{ policy: string; urn: string; changes: string[] }> = [];
  const finalInputs = new Map<string, Record<string, unknown>>();
  // Resource diagnostics come back without a URN: the engine attaches the resource it asked about.
  const toDiagnostics = (resp: any, urn = "") =>
    resp.getDiagnosticsList().map((d: any) => ({
      policy: d.getPolicyname(),
      message: d.getMessage(),
      level: LEVELS[d.getEnforcementlevel()],
      urn: d.getUrn() || urn,
    }));

  for (const r of resources) {
    const request = () => {
      const req = new analyzerProto.AnalyzeRequest();
      req.setType(r.type);
      req.setUrn(r.urn);
      req.setName(r.name);
      req.setOptions(options(r));
      return req;
    };
    let inputs = r.inputs;
    const remediateRequest = request();
    remediateRequest.setProperties(Struct.fromJavaScript(inputs));
    for (const remediation of (await call(remediateRpc, remediateRequest)).getRemediationsList()) {
      const remediated = remediation.getProperties().toJavaScript();
      remediations.push({
        policy: remediation.getPolicyname(),
        urn: r.urn,
        changes: describeChanges(inputs, remediated),
      });
      inputs = remediated;
    }
    finalInputs.set(r.urn, inputs);
    const analyzeRequest = request();
    analyzeRequest.setProperties(Struct.fromJavaScript(inputs));
    diagnostics.push(...toDiagnostics(await call(analyzeRpc, analyzeRequest), r.urn));
  }
  const stackRequest = new analyzerProto.AnalyzeStackRequest();
  stackRequest.setResourcesList(
    resources.map((r) => {
      const resource = new analyzerProto.AnalyzerResource();
      resource.setType(r.type);
      resource.setUrn(r.urn);
      resource.setName(r.name);
      resource.setOptions(options(r));
      resource.setProperties(Struct.fromJavaScript(outputs(r, finalInputs.get(r.urn)!)));
      return resource;
    }),
  );
  diagnostics.push(...toDiagnostics(await call(stackRpc, stackRequest)));
  return { diagnostics, remediations };
}

const DAY = 86400;
const postgres = JSON.stringify({ conn_type: "postgres", host: "db", login: "airflow", password: "pw" });
const prodArn = "arn:aws:secretsmanager:eu-west-1:1:secret:airflow/prod/connections/warehouse-AbCdEf";

/** A mix of compliant and violating resources touching every policy, as one production and one dev stack. */
const STACKS: Record<string, Fixture[]> = {
  prod: [
    environment("prod", { environment: "prod", production: true }),
    resource("prod", "aws:iam/role:Role", "irsa", {
      name: "airflow-prod-reader",
      assumeRolePolicy: JSON.stringify({
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: "arn:aws:iam::1:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X" },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringLike: { "oidc.eks.eu-west-1.amazonaws.com/id/X:sub": "system:serviceaccount:*:airflow" },
            },
          },
        ],
      }),
      inlinePolicies: [
        {
          name: "read",
          policy: JSON.stringify({
            Statement: [{ Effect: "Allow", Action: "secretsmanager:*", Resource: "*" }],
          }),
        },
      ],
    }),
    resource("prod", "aws:lambda/function:Function", "fn", {
      environment: { variables: { DB_PASSWORD: "hunter2", MODE: "x" } },
    }),
    resource("prod", "aws:secretsmanager/secret:Secret", "warehouse", {
      name: "airflow/prod/connections/warehouse",
      replicas: [{ region: "eu-central-1" }],
    }),
    resource("prod", "aws:secretsmanager/secretVersion:SecretVersion", "warehouse-value", {
      secretId: prodArn,
      secretString: postgres,
    }),
    resource("prod", "aws:secretsmanager/secretRotation:SecretRotation", "rotation", {
      secretId: prodArn,
      rotationRules: { automaticallyAfterDays: 120 },
    }),
    resource("prod", "aws:kms/key:Key", "key", { deletionWindowInDays: 7 }),
    resource(
      "prod",
      "aws:kms/key:Key",
      "pending-key",
      { enableKeyRotation: true, description: UNKNOWN_STRING },
      { protect: true },
    ),
    resource("prod", "aws:iam/accessKey:AccessKey", "key-for-airflow", { user: "airflow" }),
    resource("prod", "aws:iam/rolePolicy:RolePolicy", "reader-policy", {
      policy: JSON.stringify({
        Statement: [{ Sid: "Read", Effect: "Allow", Action: "secretsmanager:*", Resource: "*" }],
      }),
    }),
    resource(
      "prod",
      "azure-native:keyvault:Vault",
      "kv",
      { properties: { enableSoftDelete: false } },
      { protect: true },
    ),
    resource("prod", "kubernetes:core/v1:Secret", "env", {
      stringData: { AIRFLOW__CORE__FERNET_KEY: secret("k"), AIRFLOW_VAR_X: "x" },
    }),
    resource("prod", "kubernetes:core/v1:ConfigMap", "airflow-config", {
      data: {
        AIRFLOW__SECRETS__BACKEND:
          "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
        AIRFLOW__SECRETS__BACKEND_KWARGS: JSON.stringify({ connections_prefix: "airflow/prod/connections" }),
      },
    }),
  ],
  dev: [
    environment("dev", { environment: "dev" }),
    resource("dev", "vault:kubernetes/authBackendRole:AuthBackendRole", "dev-airflow", {
      boundServiceAccountNames: ["airflow"],
      boundServiceAccountNamespaces: ["airflow-dev"],
      tokenPolicies: ["airflow-dev-reader"],
    }),
    resource("dev", "vault:index/policy:Policy", "dev-reader", {
      name: "airflow-dev-reader",
      policy: 'path "airflow/data/prod/connections/*" { capabilities = ["read", "list"] }',
    }),
    resource("dev", "gcp:kms/cryptoKey:CryptoKey", "key", {
      rotationPeriod: `${200 * DAY}s`,
      destroyScheduledDuration: "86400s",
    }),
    resource("dev", "aws:secretsmanager/secretVersion:SecretVersion", "v", {
      secretId: "arn:x",
      secretString: secret(postgres),
    }),
  ],
};

describe("the check adapter gives the verdict of @pulumi/policy's analyzer server", () => {
  it.each(Object.keys(STACKS))("%s stack: same diagnostics, levels and remediations", async (stack) => {
    const resources = STACKS[stack];
    const outputs = (r: Fixture, inputs: Record<string, unknown>) => ({ ...inputs, id: `${r.name}-id` });
    const real = await realAnalyzer(resources, outputs);
    const offline = await analyze(resources, {
      policies,
      packEnforcementLevel: "mandatory",
      outputsOf: (r, inputs) => outputs(r as Fixture, inputs),
    });
    const byPolicy = new Map<string, Policy>(policies.map((p) => [p.name, p]));
    const offlineDiagnostics = offline.violations.map((v) => ({
      policy: v.policy,
      // The server prefixes each message with the policy description.
      message: `${byPolicy.get(v.policy)!.description}\n${v.message}`,
      level: v.enforcementLevel,
      urn: v.urn ?? "",
    }));
    const sort = (list: Diagnostic[]) =>
      [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(sort(offlineDiagnostics)).toEqual(sort(real.diagnostics));
    expect(offline.remediations).toEqual(real.remediations);
    // The fixtures are meant to exercise the pack, not to pass it.
    expect(real.diagnostics.length).toBeGreaterThan(stack === "prod" ? 8 : 2);
  });
});

describe("a remediation that reads a value unknown during preview", () => {
  const remediation: ResourceValidationPolicy = {
    name: "needs-known-value",
    description: "reads a property unknown at preview",
    enforcementLevel: "remediate",
    remediateResource: (args) => ({ ...args.props, copy: String(args.props.description) }),
  };
  const pending = resource("prod", "aws:kms/key:Key", "pending", { description: UNKNOWN_STRING });

  it("is a warning, as the analyzer's diagnostic is, and does not stop the check", async () => {
    const remediateRpc = server.makeRemediateRpcFun(PACK_NAME, VERSION, "mandatory", [remediation]);
    const req = new analyzerProto.AnalyzeRequest();
    req.setType(pending.type);
    req.setUrn(pending.urn);
    req.setName(pending.name);
    req.setOptions(options(pending));
    req.setProperties(Struct.fromJavaScript(pending.inputs));
    const real = (await call(remediateRpc, req)).getRemediationsList();
    expect(real.map((r: any) => [r.getPolicyname(), r.getDiagnostic(), r.hasProperties()])).toEqual([
      ["needs-known-value", expect.stringContaining("can't run remediation 'needs-known-value'"), false],
    ]);

    const offline = await analyze([pending], {
      policies: [remediation],
      packEnforcementLevel: "mandatory",
      outputsOf: (_r, inputs) => inputs,
    });
    expect(offline.remediations).toEqual([]);
    expect(offline.violations).toEqual([
      {
        policy: "needs-known-value",
        enforcementLevel: "advisory",
        message: expect.stringContaining("can't run remediation 'needs-known-value' during preview"),
        urn: pending.urn,
      },
    ]);
  });
});
