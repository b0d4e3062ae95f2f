import { MOCK_ACCOUNT_ID, ProviderMock, configValue } from "./types";

/** `aws:secretsmanager/secret:Secret` → service `secretsmanager`, resource `secret`. */
function arnFor(type: string, name: string, inputs: Record<string, unknown>, region: string): string {
  const [, mod, res] = type.split(":");
  const service = mod.split("/")[0];
  const resource = (res ?? "").toLowerCase();
  const physical = (inputs.name as string | undefined) ?? name;
  const global = service === "iam" || service === "s3";
  const where = global ? `::${service === "iam" ? MOCK_ACCOUNT_ID : ""}` : `:${region}:${MOCK_ACCOUNT_ID}`;
  switch (`${service}:${resource}`) {
    case "secretsmanager:secret":
      return `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT_ID}:secret:${physical}-AbCdEf`;
    case "s3:bucket":
    case "s3:bucketv2":
      return `arn:aws:s3:::${(inputs.bucket as string | undefined) ?? physical}`;
    case "ssm:parameter":
      return `arn:aws:ssm:${region}:${MOCK_ACCOUNT_ID}:parameter${physical.startsWith("/") ? "" : "/"}${physical}`;
    case "kms:key":
      return `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:key/${name}-0000-0000`;
    case "lambda:function":
      return `arn:aws:lambda:${region}:${MOCK_ACCOUNT_ID}:function:${physical}`;
    case "logs:loggroup":
      return `arn:aws:logs:${region}:${MOCK_ACCOUNT_ID}:log-group:${physical}`;
    default:
      return `arn:aws:${service}${where}:${resource}/${physical}`;
  }
}

export const awsMock: ProviderMock = {
  pkg: "aws",
  state(type, name, inputs, options) {
    const region = configValue(options, "aws:region") ?? "us-east-1";
    return { arn: arnFor(type, name, inputs, region), name: inputs.name ?? name };
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
