/**
 * `airflow-secrets check --stack NAME`: the policy pack's verdict without the Pulumi CLI or cloud
 * credentials. The stack is synthesized offline (`synth`), then the same policy objects
 * `pulumi preview --policy-pack policies` loads run over it through the CrossGuard adapter, so a
 * fork's pull request gets the verdict the preview would give.
 */
import type { EnforcementLevel } from "@pulumi/policy";
import { policies } from "../../policies/policies";
import { computedState } from "../synth/computed";
import { isSecretValue } from "../synth/mockRuntime";
import type { SynthResult } from "../synth/synth";
import {
  CommandIo,
  SynthInvocation,
  defaultIo,
  parseSynthArgs,
  reportFailure,
  synthFromArgs,
} from "../synthCommand";
import { AnalyzedResource, PolicyConfigMap, analyze } from "./crossguard";
import { PolicyConfigError, readPolicyConfigFile } from "./policyConfig";
import { CheckReport, buildReport, reportJson, reportText } from "./report";
import { CHECK_USAGE, wantsHelp } from "../usage";

/** The pack's default level, as `policies/index.ts` passes it to the PolicyPack. */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";

export { CHECK_USAGE };

/** The synthesized resources as the engine would hand them to analyzers, in registration order. */
export function analyzedResources(result: SynthResult): AnalyzedResource[] {
  return result.raw.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    parent: r.parent,
    custom: r.custom,
    inputs: r.inputs,
    protect: r.protect,
  }));
}

/** Strings another resource's input may carry to point at `resource`: its id and what the provider computed. */
function identitiesOf(resource: AnalyzedResource, outputs: Record<string, unknown>): string[] {
  const found: string[] = [];
  // The mock runtime gives every custom resource the id `<name>-id` (cli/synth/mockRuntime.ts).
  if (resource.custom) found.push(`${resource.name}-id`);
  for (const [key, value] of Object.entries(outputs)) {
    const computed = value !== resource.inputs[key] && !isSecretValue(value);
    if (computed && typeof value === "string" && value.length >= 12) found.push(value);
  }
  return found;
}

/** Runs the pack over a synthesized stack with a resolved policy config. */
export async function runChecks(
  invocation: SynthInvocation,
  config: PolicyConfigMap = {},
): Promise<CheckReport> {
  const { result, mockOptions } = invocation;
  const resources = analyzedResources(result);
  // Outputs are recomputed from the final inputs, through the provider (its account) that made them.
  const providers = new Map(result.raw.map((r) => [r.urn, r.provider]));
  const analysis = await analyze(resources, {
    policies,
    config,
    packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
    outputsOf: (resource, inputs) =>
      computedState(resource.type, resource.name, inputs, mockOptions, providers.get(resource.urn)),
    identitiesOf,
  });
  return buildReport(
    { stack: result.stack, configFile: result.configFile, resourceCount: resources.length },
    policies,
    analysis,
    config,
    PACK_ENFORCEMENT_LEVEL,
  );
}

/** Reads `--policy-config`; a bad file is a usage-level error (exit 2) reported before anything runs. */
export function loadPolicyConfig(file: string | undefined, io: CommandIo): PolicyConfigMap | undefined {
  if (file === undefined) return {};
  try {
    return readPolicyConfigFile(file, policies);
  } catch (error) {
    if (!(error instanceof PolicyConfigError)) throw error;
    io.stderr(`error: ${error.message}\n`);
    return undefined;
  }
}

export async function checkInvocation(
  invocation: SynthInvocation,
  options: { config: PolicyConfigMap; json: boolean },
  io: CommandIo,
): Promise<number> {
  const report = await runChecks(invocation, options.config);
  io.stdout(options.json ? reportJson(report) : reportText(report));
  return report.passed ? 0 : 1;
}

export async function runCheck(argv: readonly string[], io: CommandIo = defaultIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout(`${CHECK_USAGE}\n`);
    return 0;
  }
  try {
    const args = parseSynthArgs(argv, { values: ["policy-config"] });
    const config = loadPolicyConfig(args.values["policy-config"], io);
    if (!config) return 2;
    const invocation = await synthFromArgs(args);
    return await checkInvocation(invocation, { config, json: args.switches.has("json") }, io);
  } catch (error) {
    return reportFailure(error, io, CHECK_USAGE);
  }
}
