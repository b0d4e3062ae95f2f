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
  account: string,
): Record<string, unknown> {
  const [, mod, res] = type.split(":");
  const service = mod.split("/")[0];
  const resource = (res ?? "").toLowerCase();
  const physical = (inputs.name as string | undefined) ?? name;
  const global = service === "iam" || service === "s3";
  const where = global ? `::${service === "iam" ? account : ""}` : `:${region}:${account}`;
  switch (`${service}:${resource}`) {
    case "secretsmanager:secret":
      return {
        arn: `arn:aws:secretsmanager:${region}:${account}:secret:${physical}-${hex(physical).slice(0, 6)}`,
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
        arn: `arn:aws:ssm:${region}:${account}:parameter${physical.startsWith("/") ? "" : "/"}${physical}`,
      };
    case "kms:key":
    case "kms:replicakey": {
      const keyId = kmsKeyId(name, inputs);
      return { arn: `arn:aws:kms:${region}:${account}:key/${keyId}`, keyId };
    }
    case "kms:alias":
      return { arn: `arn:aws:kms:${region}:${account}:${physical}` };
    case "lambda:function":
      return { arn: `arn:aws:lambda:${region}:${account}:function:${physical}` };
    case "cloudwatch:loggroup":
    case "logs:loggroup":
      return { arn: `arn:aws:logs:${region}:${account}:log-group:${physical}` };
    case "sns:topic":
      return { arn: `arn:aws:sns:${region}:${account}:${physical}` };
    case "cloudtrail:trail":
      return { arn: `arn:aws:cloudtrail:${region}:${account}:trail/${physical}` };
    case "ec2:securitygroup":
      return { arn: `arn:aws:ec2:${region}:${account}:security-group/sg-${hex(name).slice(0, 17)}` };
    default:
      return { arn: `arn:aws:${service}${where}:${resource}/${physical}` };
  }
}

/**
 * Explicit providers' accounts, per session, by provider id: `allowedAccountIds[0]`, else the account
 * of the role it assumes. Resources and invokes through such a provider get that account in their
 * ARNs (a stack in several accounts); everything else is in the mock account.
 */
const providerAccounts = new WeakMap<object, Map<string, string>>();

function providerInput(inputs: Record<string, unknown>, key: string): unknown {
  const value = inputs[key];
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value); // provider inputs may arrive JSON-encoded
  } catch {
    return value;
  }
}

function accountOfProviderInputs(inputs: Record<string, unknown>): string | undefined {
  const allowed = providerInput(inputs, "allowedAccountIds");
  if (Array.isArray(allowed) && typeof allowed[0] === "string") return allowed[0];
  const roles = providerInput(inputs, "assumeRoles");
  const roleArn = Array.isArray(roles) ? (roles[0] as { roleArn?: unknown })?.roleArn : undefined;
  return typeof roleArn === "string" ? roleArn.split(":")[4] || undefined : undefined;
}

function accountFor(options: object, provider: string | undefined): string {
  const id = provider?.slice(provider.lastIndexOf("::") + 2);
  return (id !== undefined ? providerAccounts.get(options)?.get(id) : undefined) ?? MOCK_ACCOUNT_ID;
}

export const awsMock: ProviderMock = {
  pkg: "aws",
  state(type, name, inputs, options, provider) {
    if (type === "pulumi:providers:aws") {
      const account = accountOfProviderInputs(inputs);
      if (account !== undefined) {
        if (!providerAccounts.has(options)) providerAccounts.set(options, new Map());
        providerAccounts.get(options)!.set(`${name}-id`, account);
      }
      return {};
    }
    // Provider v7 resources take a `region` input; otherwise the provider's region applies.
    const region = (inputs.region as string | undefined) ?? configValue(options, "aws:region") ?? "us-east-1";
    return {
      name: inputs.name ?? name,
      ...computed(type, name, inputs, region, accountFor(options, provider)),
    };
  },
  invokes: {
    "aws:index/getCallerIdentity:getCallerIdentity": (_inputs, options, provider) => {
      const account = accountFor(options, provider);
      return { accountId: account, arn: `arn:aws:iam::${account}:user/synth`, userId: "SYNTH" };
    },
    "aws:index/getRegion:getRegion": (_inputs, options) => {
      const region = configValue(options, "aws:region") ?? "us-east-1";
      return { name: region, region, id: region };
    },
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
  },
};
