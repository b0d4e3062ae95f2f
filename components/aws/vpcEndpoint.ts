import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Problems, validateOrThrow } from "../airflow";
import { standardTags } from "./common";
import {
  SECURITY_GROUP_ID_PATTERN,
  SUBNET_ID_PATTERN,
  VPC_ID_PATTERN,
  checkIdList,
  checkRegion,
  checkTags,
} from "./validation";

export interface SecretsManagerVpcEndpointArgs {
  environment: string;
  owner?: string;
  region: string;
  vpcId: string;
  /** Subnets for the endpoint's interfaces (one per Availability Zone). */
  subnetIds: string[];
  /** Security groups of the clients (the rotation functions) allowed to reach the endpoint on 443. */
  clientSecurityGroupIds: string[];
  tags?: Record<string, string>;
}

export function validateSecretsManagerVpcEndpointArgs(
  args: SecretsManagerVpcEndpointArgs,
  problems: Problems,
): void {
  checkRegion(args.region, "region", problems);
  problems.check(
    VPC_ID_PATTERN.test(String(args.vpcId)),
    "vpcId",
    'must be a VPC id like "vpc-0123456789abcdef0"',
  );
  checkIdList(args.subnetIds, SUBNET_ID_PATTERN, "subnet-0123456789abcdef0", "subnetIds", problems);
  checkIdList(
    args.clientSecurityGroupIds,
    SECURITY_GROUP_ID_PATTERN,
    "sg-0123456789abcdef0",
    "clientSecurityGroupIds",
    problems,
  );
  checkTags(args.tags, "tags", problems);
}

/**
 * A Secrets Manager interface endpoint with private DNS, so functions in private subnets reach the
 * regional Secrets Manager name without a NAT gateway. Private DNS allows one such endpoint per
 * VPC: create it once (skip it if the VPC already has one) and let every function use it.
 */
export class SecretsManagerVpcEndpoint extends pulumi.ComponentResource {
  readonly endpoint: aws.ec2.VpcEndpoint;
  readonly securityGroup: aws.ec2.SecurityGroup;

  constructor(name: string, args: SecretsManagerVpcEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrThrow(`SecretsManagerVpcEndpoint ${name}`, (problems) =>
      validateSecretsManagerVpcEndpointArgs(args, problems),
    );
    super("airflow-secrets:aws:SecretsManagerVpcEndpoint", name, {}, opts);

    const tags = standardTags(args.environment, args.owner, args.tags);
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        region: args.region,
        vpcId: args.vpcId,
        description: `HTTPS to the Secrets Manager endpoint from Airflow ${args.environment} rotation functions`,
        ingress: [
          {
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            securityGroups: args.clientSecurityGroupIds,
            description: "rotation functions",
          },
        ],
        tags,
      },
      { parent: this },
    );
    this.endpoint = new aws.ec2.VpcEndpoint(
      `${name}-endpoint`,
      {
        region: args.region,
        vpcId: args.vpcId,
        serviceName: `com.amazonaws.${args.region}.secretsmanager`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: args.subnetIds,
        securityGroupIds: [this.securityGroup.id],
        tags,
      },
      { parent: this },
    );
    this.registerOutputs({ endpointId: this.endpoint.id });
  }
}
