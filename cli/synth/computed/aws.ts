import { createHash } from "crypto";
import { MOCK_ACCOUNT_ID, ProviderMock, configValue } from "./types";

const hex = (seed: string) => createHash("sha256").update(seed).digest("hex");

/** A KMS key id shaped like AWS's: a UUID, or `mrk-…` for multi-Region keys (replicas share it). */
function kmsKeyId(name: string, inputs: Record<string, unknown>): string {
  const primary = inputs.primaryKeyArn as string | undefined;
  if (primary !== undefined) return primary.slice(primary.lastIndexOf("/") + 1);
  const h = hex(name);
  return inputs.multiRegion === true
    ? `mrk-${h.slice(0, 32)}`
    : `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `aws:secretsmanager/secret:Secret` → service `secretsmanager`, resource `secret`. */
function computed(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  region: string,
): Record<string, unknown> {
  const [, mod, res] = type.split(":");
  const service = mod.split("/")[0];
  const resource = (res ?? "").toLowerCase();
  const physical = (inputs.name as string | undefined) ?? name;
  const global = service === "iam" || service === "s3";
  const where = global ? `::${service === "iam" ? MOCK_ACCOUNT_ID : ""}` : `:${region}:${MOCK_ACCOUNT_ID}`;
  switch (`${service}:${resource}`) {
    case "secretsmanager:secret":
      return {
        arn: `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT_ID}:secret:${physical}-${hex(physical).slice(0, 6)}`,
      };
    case "secretsmanager:secretversion":
      return { arn: inputs.secretId, versionId: `${name}-version` };
    case "s3:bucket":
    case "s3:bucketv2":
      return {
        arn: `arn:aws:s3:::${(inputs.bucket as string | undefined) ?? physical}`,
        bucket: inputs.bucket ?? physical,
      };
    case "ssm:parameter":
      return {
        arn: `arn:aws:ssm:${region}:${MOCK_ACCOUNT_ID}:parameter${physical.startsWith("/") ? "" : "/"}${physical}`,
      };
    case "kms:key":
    case "kms:replicakey": {
      const keyId = kmsKeyId(name, inputs);
      return { arn: `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:key/${keyId}`, keyId };
    }
    case "kms:alias":
      return { arn: `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:${physical}` };
    case "lambda:function":
      return { arn: `arn:aws:lambda:${region}:${MOCK_ACCOUNT_ID}:function:${physical}` };
    case "cloudwatch:loggroup":
    case "logs:loggroup":
      return { arn: `arn:aws:logs:${region}:${MOCK_ACCOUNT_ID}:log-group:${physical}` };
    case "sns:topic":
      return { arn: `arn:aws:sns:${region}:${MOCK_ACCOUNT_ID}:${physical}` };
    case "cloudtrail:trail":
      return { arn: `arn:aws:cloudtrail:${region}:${MOCK_ACCOUNT_ID}:trail/${physical}` };
    case "ec2:securitygroup":
      return { arn: `arn:aws:ec2:${region}:${MOCK_ACCOUNT_ID}:security-group/sg-${hex(name).slice(0, 17)}` };
    default:
      return { arn: `arn:aws:${service}${where}:${resource}/${physical}` };
  }
}

export const awsMock: ProviderMock = {
  pkg: "aws",
  state(type, name, inputs, options) {
    // Provider v7 resources take a `region` input; otherwise the provider's region applies.
    const region = (inputs.region as string | undefined) ?? configValue(options, "aws:region") ?? "us-east-1";
    return { name: inputs.name ?? name, ...computed(type, name, inputs, region) };
  },
  invokes: {
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
      accountId: MOCK_ACCOUNT_ID,
      arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/synth`,
      userId: "SYNTH",
    }),
    "aws:index/getRegion:getRegion": (_inputs, options) => {
      const region = configValue(options, "aws:region") ?? "us-east-1";
      return { name: region, region, id: region };
    },
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
  },
};
