/**
 * For every AWS stack file of the hostile corpus that synth accepts, no reader or writer of one
 * environment can act on another environment's secrets or decrypt with its key: the synthesized
 * identity policies, each secret's resource policy and the key policy are evaluated by
 * @cloud-copilot/iam-simulate (the corpus' prefix and tag cases are exactly what used to widen them).
 */
import * as path from "path";
import { RecordedResource } from "../../cli/synth/mockRuntime";
import { synthesize } from "../../cli/synth/synth";
import { findProject } from "../../cli/synth/stackFile";
import { ACCOUNT, REGION, allowed, policyOf, simulate } from "../aws/harness";
import { CORPUS, manifest } from "./corpus";

jest.setTimeout(900_000);

interface Deployed {
  file: string;
  environment: string;
  readerRoleArn: string;
  writerRoleArn: string;
  readerPolicy: object;
  writerPolicy: object;
  keyArn: string;
  keyPolicy: object;
  secrets: Array<{ name: string; arn: string; policy: object }>;
}

const ACTIONS = [
  "secretsmanager:GetSecretValue",
  "secretsmanager:DescribeSecret",
  "secretsmanager:PutSecretValue",
  "secretsmanager:UpdateSecret",
  "secretsmanager:DeleteSecret",
  "secretsmanager:PutResourcePolicy",
  "secretsmanager:RotateSecret",
];

const accepted = manifest.cases.filter((c) => c.backend === "aws" && c.expect === "accepted" && !c.knownGap);
const deployed: Deployed[] = [];

function one(resources: RecordedResource[], type: string, suffix: string): RecordedResource {
  const found = resources.filter((r) => r.type === type && r.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${type} named *${suffix}, found ${found.length}`);
  return found[0];
}

beforeAll(async () => {
  const project = findProject(path.resolve(__dirname, "../.."));
  for (const c of accepted) {
    const result = await synthesize({ project, stack: "iam", configFile: path.resolve(CORPUS, c.file) });
    const outputs = result.outputs as Record<string, unknown>;
    const secretArns = outputs.secretArns as Record<string, string>;
    const resources = result.raw;
    const secrets = resources
      .filter((r) => r.type === "aws:secretsmanager/secret:Secret")
      .map((r) => ({
        name: String(r.inputs.name),
        arn: secretArns[String(r.inputs.name)],
        policy: policyOf(r),
      }));
    deployed.push({
      file: c.file,
      environment: String(outputs.environment),
      readerRoleArn: String(outputs.readerRoleArn),
      writerRoleArn: String(outputs.writerRoleArn),
      readerPolicy: policyOf(one(resources, "aws:iam/rolePolicy:RolePolicy", "-access-reader-policy")),
      writerPolicy: policyOf(one(resources, "aws:iam/policy:Policy", "-access-writer-policy")),
      keyArn: String(outputs.kmsKeyArn),
      keyPolicy: policyOf(one(resources, "aws:kms/key:Key", "-secrets-key-key")),
      secrets,
    });
  }
});

describe("environments isolated under an IAM simulator, for every accepted AWS corpus file", () => {
  it("covers every accepted AWS file, at least three environments, each with secrets", () => {
    expect(accepted.length).toBeGreaterThanOrEqual(4);
    expect(deployed.length).toBe(accepted.length);
    expect(new Set(deployed.map((d) => d.environment)).size).toBeGreaterThanOrEqual(3);
    for (const d of deployed) {
      expect(d.secrets.length).toBeGreaterThan(0);
      for (const s of d.secrets) expect(s.arn).toMatch(/^arn:aws:secretsmanager:/);
    }
  });

  it("each file's own reader reads its own secrets (the simulation can say yes)", async () => {
    for (const d of deployed) {
      const s = d.secrets.find((x) => x.name.includes("/connections/"))!;
      const decision = await simulate({
        principal: d.readerRoleArn,
        action: "secretsmanager:GetSecretValue",
        resource: s.arn,
        identityPolicies: [d.readerPolicy],
        resourcePolicy: s.policy,
      });
      expect([d.file, decision]).toEqual([d.file, "Allowed"]);
    }
  });

  it("no reader or writer acts on another environment's secrets or decrypts with its key", async () => {
    const unexpected: string[] = [];
    let evaluated = 0;
    for (const from of deployed) {
      for (const to of deployed) {
        if (from.environment === to.environment) continue;
        for (const [role, principal, identity] of [
          ["reader", from.readerRoleArn, from.readerPolicy],
          ["writer", from.writerRoleArn, from.writerPolicy],
        ] as const) {
          for (const secret of to.secrets) {
            for (const action of ACTIONS) {
              const decision = await simulate({
                principal,
                action,
                resource: secret.arn,
                identityPolicies: [identity],
                resourcePolicy: secret.policy,
              });
              evaluated++;
              if (allowed(decision))
                unexpected.push(`${from.file} ${role} ${action} on ${to.file} ${secret.name}`);
            }
          }
          for (const context of <Array<Record<string, string>>>[
            { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`, "kms:CallerAccount": ACCOUNT },
            { "kms:CallerAccount": ACCOUNT },
          ]) {
            const decision = await simulate({
              principal,
              action: "kms:Decrypt",
              resource: to.keyArn,
              identityPolicies: [identity],
              resourcePolicy: to.keyPolicy,
              context,
            });
            evaluated++;
            if (allowed(decision)) unexpected.push(`${from.file} ${role} kms:Decrypt on ${to.file}'s key`);
          }
        }
      }
    }
    expect(evaluated).toBeGreaterThan(100);
    expect(unexpected).toEqual([]);
  });
});
