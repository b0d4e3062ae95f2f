/**
 * The pack loads the way `pulumi preview --policy-pack policies` loads it: Pulumi's own
 * run-policy-pack entry (ts-node with type checking and policies/tsconfig.json, cwd = the pack,
 * version from policies/package.json) starts the PolicyPack's analyzer server in a child process.
 * The test then talks to it over gRPC as the engine does, and stops it.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { PACK_NAME, policies } from "../../policies/policies";
import { secret } from "./harness";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const grpc = require("@grpc/grpc-js");
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb");
const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");

const ROOT = path.resolve(__dirname, "../..");
const RUN_POLICY_PACK = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");

let child: ChildProcess;
let client: any;
let stderr = "";

function rpc<T>(method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, (err: unknown, resp: T) => (err ? reject(err) : resolve(resp))),
  );
}

beforeAll(async () => {
  // The engine starts `pulumi-analyzer-policy <engine address> <program>` in the pack folder.
  child = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:0", "."], {
    cwd: path.join(ROOT, "policies"),
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const match = /^(\d+)\s*$/m.exec(out);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) =>
      reject(new Error(`policy pack exited with ${code} before serving:\n${stderr}`)),
    );
  });
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
  client?.close();
  child?.kill();
});

function analyzeRequest(type: string, name: string, stack: string, properties: Record<string, unknown>) {
  const req = new analyzerProto.AnalyzeRequest();
  req.setType(type);
  req.setName(name);
  req.setUrn(`urn:pulumi:${stack}::airflow-secrets::${type}::${name}`);
  req.setProperties(Struct.fromJavaScript(properties));
  req.setOptions(new analyzerProto.AnalyzerResourceOptions());
  return req;
}

describe("policies/index.ts as the Pulumi CLI runs it", () => {
  it("serves every policy of the pack with its enforcement level and config schema", async () => {
    const info: any = await rpc("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe(PACK_NAME);
    expect(info.getVersion()).toBe("0.1.0");
    const served = info.getPoliciesList().map((p: any) => ({
      name: p.getName(),
      level: p.getEnforcementlevel(),
      schema: !!p.getConfigschema(),
    }));
    expect(served).toEqual(
      policies.map((p) => ({
        name: p.name,
        level:
          p.enforcementLevel === "remediate"
            ? analyzerProto.EnforcementLevel.REMEDIATE
            : analyzerProto.EnforcementLevel.MANDATORY,
        schema: true,
      })),
    );
  });

  it("analyzes a resource and applies policy config sent by the engine", async () => {
    const key = () =>
      analyzeRequest("aws:iam/accessKey:AccessKey", "airflow-key", "dev", { user: "airflow" });
    const before: any = await rpc("analyze", key());
    expect(before.getDiagnosticsList().map((d: any) => [d.getPolicyname(), d.getEnforcementlevel()])).toEqual(
      [["no-long-lived-cloud-credentials", analyzerProto.EnforcementLevel.MANDATORY]],
    );

    const configure = new analyzerProto.ConfigureAnalyzerRequest();
    const advisory = new analyzerProto.PolicyConfig();
    advisory.setEnforcementlevel(analyzerProto.EnforcementLevel.ADVISORY);
    advisory.setProperties(Struct.fromJavaScript({}));
    configure.getPolicyconfigMap().set("no-long-lived-cloud-credentials", advisory);
    await rpc("configure", configure);
    const after: any = await rpc("analyze", key());
    expect(after.getDiagnosticsList().map((d: any) => d.getEnforcementlevel())).toEqual([
      analyzerProto.EnforcementLevel.ADVISORY,
    ]);
  });

  it("remediates a plain secret input into a wire-format secret", async () => {
    const version = analyzeRequest("aws:secretsmanager/secretVersion:SecretVersion", "v", "dev", {
      secretId: "arn:x",
      secretString: "plain",
    });
    const resp: any = await rpc("remediate", version);
    const [remediation] = resp.getRemediationsList();
    expect(remediation.getPolicyname()).toBe("secret-inputs-marked");
    expect(remediation.getProperties().toJavaScript().secretString).toEqual(secret("plain"));
  });
});
