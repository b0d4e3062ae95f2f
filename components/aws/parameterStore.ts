import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Problems, storeDescription, utf8Bytes } from "../airflow";
import { AwsStoreArgs, idSlug, standardTags } from "./common";
import { checkRegion, checkTags } from "./validation";

export type ParameterStoreArgs = AwsStoreArgs;

/** A Standard parameter holds 4 KiB; larger values need the Advanced tier (8 KiB, charged monthly). */
export const STANDARD_TIER_MAX_BYTES = 4096;

export function parameterTier(value: string): "Standard" | "Advanced" {
  return tierForBytes(utf8Bytes(value));
}

function tierForBytes(bytes: number): "Standard" | "Advanced" {
  return bytes > STANDARD_TIER_MAX_BYTES ? "Advanced" : "Standard";
}

/**
 * SSM Parameter Store as the store: one SecureString per planned secret, encrypted with the
 * environment's key, Standard tier unless the value needs Advanced. Parameters have no resource
 * policy, so access rests on IAM and the key policy alone.
 */
export class ParameterStore extends pulumi.ComponentResource {
  /** By parameter name. */
  readonly parameters: Record<string, aws.ssm.Parameter> = {};
  /** Parameter ARN by name. */
  readonly parameterArns: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: ParameterStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems();
    checkRegion(args.region, "region", problems);
    checkTags(args.tags, "tags", problems);
    const names = new Set(args.secrets.map((s) => s.name));
    for (const critical of args.criticalSecretNames ?? [])
      problems.check(
        names.has(critical),
        `criticalSecretNames.${critical}`,
        "is not one of the planned secrets",
      );
    problems.throwIfAny(`ParameterStore ${name}`);
    super("airflow-secrets:aws:ParameterStore", name, {}, opts);

    const tags = standardTags(args.environment, args.owner, args.tags);
    const critical = new Set(args.criticalSecretNames ?? []);
    for (const planned of args.secrets) {
      const keep = args.production === true && critical.has(planned.name);
      const parameter = new aws.ssm.Parameter(
        `${name}-${planned.kind}-${idSlug(planned.id)}`,
        {
          region: args.region,
          name: planned.name,
          type: "SecureString",
          description: storeDescription(planned, args.environment),
          value: planned.value, // already a secret Output (`PlannedSecret.value`)
          keyId: args.kmsKeyArn,
          // The tier reveals only whether the value exceeds 4 KiB.
          // Known now for values declared in the stack; from the value only when it comes from a resource.
          tier:
            planned.knownBytes !== undefined
              ? tierForBytes(planned.knownBytes)
              : pulumi.unsecret(planned.value.apply(parameterTier)),
          tags: { ...tags, "airflow-kind": planned.kind },
        },
        { parent: this, protect: keep, retainOnDelete: keep },
      );
      this.parameters[planned.name] = parameter;
      this.parameterArns[planned.name] = parameter.arn;
    }
    // The ARNs are the stack output `parameterArns` (one copy in state).
    this.registerOutputs({});
  }
}
