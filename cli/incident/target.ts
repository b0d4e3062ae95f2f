/**
 * What an incident command needs to know about a stack, from the same offline synth and contract
 * that deploy it (as `inventory` does): the rotated connections with the exact names their backend
 * stores them under, and the names of the deployed pieces the commands act on (reader role, rotation
 * topic, Key Vault, database mount). Nothing here talks to a cloud.
 */
import { buildInventory } from "../inventory";
import { readStackTarget, StackTarget } from "../import/stackTarget";
import { locateStack } from "../synth/stackFile";
import { synthesize, SynthResource, SynthResult } from "../synth/synth";
import type { RotationStrategy } from "../../components/rotation/strategy";
import { UsageError } from "../args";

export interface RotatedConnection {
  connId: string;
  /** The name (Vault: path) the backend stores the connection under. */
  name: string;
  strategy: RotationStrategy;
  everyDays: number;
  masterConnId?: string;
}

export interface IncidentTarget {
  stack: string;
  environment: string;
  /** `airflow-secrets:backend`: env, vault, aws, gcp or azure. */
  backend: string;
  /** aws: `secretsmanager` or `ssm`. */
  store?: string;
  /** The backend's settings block as written in the stack file. */
  settings: Record<string, unknown>;
  rotated: RotatedConnection[];
  resources: SynthResource[];
  outputs: Record<string, unknown>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function incidentTarget(stack: string, stackTarget: StackTarget, synth: SynthResult): IncidentTarget {
  const inventory = buildInventory(stack, stackTarget, synth);
  const config = stackTarget.document.toJS()?.config ?? {};
  const settings = isRecord(config[`airflow-secrets:${stackTarget.backend}`])
    ? (config[`airflow-secrets:${stackTarget.backend}`] as Record<string, unknown>)
    : {};
  return {
    stack,
    environment: stackTarget.environment,
    backend: stackTarget.backend,
    store: typeof settings.store === "string" ? settings.store : undefined,
    settings,
    rotated: inventory.secrets
      .filter((row) => row.kind === "connection" && row.rotation !== undefined)
      .map((row) => ({
        connId: row.id,
        name: row.name,
        strategy: row.rotation!.strategy as RotationStrategy,
        everyDays: row.rotation!.everyDays,
        ...(row.rotation!.masterConnId ? { masterConnId: row.rotation!.masterConnId } : {}),
      })),
    resources: synth.resources,
    outputs: synth.outputs,
  };
}

/** Loads `--stack NAME` (or `--config-file FILE`) the way synth and inventory do. */
export async function loadIncidentTarget(options: {
  stack?: string;
  configFile?: string;
  cwd: string;
}): Promise<IncidentTarget> {
  const { project, configFile, stack } = locateStack(options);
  const stackTarget = readStackTarget(configFile);
  const synth = await synthesize({ project, stack, configFile });
  return incidentTarget(stack, stackTarget, synth);
}

/** The synthesized resources of one type, optionally those whose Pulumi name ends with `suffix`. */
export function resourcesOf(target: IncidentTarget, type: string, suffix?: string): SynthResource[] {
  return target.resources.filter((r) => r.type === type && (suffix === undefined || r.name.endsWith(suffix)));
}

/** A string input of the one resource of `type` (ending with `suffix`); undefined when there is none. */
export function resourceInput(
  target: IncidentTarget,
  type: string,
  input: string,
  suffix?: string,
): string | undefined {
  const [resource] = resourcesOf(target, type, suffix);
  const value = isRecord(resource?.inputs) ? resource.inputs[input] : undefined;
  return typeof value === "string" ? value : undefined;
}

/** `--conn ID` (repeatable as ID,ID) or `--all-rotated`: the rotated connections to act on. */
export function selectRotated(
  target: IncidentTarget,
  selection: { conn?: string; allRotated: boolean },
): RotatedConnection[] {
  if (selection.allRotated) {
    if (target.rotated.length === 0)
      throw new Error(`stack ${target.stack} declares no rotated connection (connections[].rotation)`);
    return target.rotated;
  }
  const wanted = (selection.conn ?? "").split(",").filter((id) => id !== "");
  if (wanted.length === 0) throw new UsageError("--conn ID or --all-rotated is required");
  return wanted.map((id) => {
    const found = target.rotated.find((c) => c.connId === id);
    if (!found) {
      const known = target.rotated.map((c) => c.connId).join(", ") || "none";
      throw new Error(
        `connection ${id} has no rotation in stack ${target.stack} (rotated connections: ${known}); ` +
          "a connection without rotation is changed by updating its secure: value and running pulumi up",
      );
    }
    return found;
  });
}
