/**
 * URNs of synthesized stacks, and the URNs the engine would match them to through aliases. A refactor
 * that moves a resource under another parent must alias it, or `pulumi up` replaces it (a deleted and
 * recreated secret loses its versions; a recreated KMS key cannot decrypt what the old one encrypted).
 */
import * as fs from "fs";
import * as path from "path";
import { RecordedResource } from "../../cli/synth/mockRuntime";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";
import { manifest, CORPUS } from "../stackFiles/corpus";
import { REPO, SHIPPED_STACK_FILES } from "../support/shippedStacks";

export { REPO };
export const BASELINE_DIR = path.join(REPO, "test/fixtures/urns");

/** Every stack file that ships, plus every corpus file expected to synthesize. */
export function urnCases(): { name: string; file: string }[] {
  // Baseline names keep the form they were recorded with: `stacks-examples-Pulumi.prod-gcp.yaml`.
  const shipped = SHIPPED_STACK_FILES.map((f) => ({ name: f.replace(/\//g, "-"), file: path.join(REPO, f) }));
  const corpus = manifest.cases
    .filter((c) => c.expect === "accepted")
    .map((c) => ({ name: `hostile-${c.file.replace(/\//g, "-")}`, file: path.join(CORPUS, c.file) }));
  return [...shipped, ...corpus];
}

export async function synthesizedResources(file: string): Promise<RecordedResource[]> {
  const { result } = await synthFromArgs(parseSynthArgs(["--config-file", file]));
  return result.raw;
}

/**
 * A URN as the Pulumi engine forms it: the parent's whole qualified type chain, `$`, the type. (The
 * mock runtime keeps only the parent's last type, so its URNs are not the ones a deployment has.)
 */
export function engineUrn(r: {
  type: string;
  name: string;
  project: string;
  stack: string;
  parentUrn?: string;
}): string {
  const parentType = r.parentUrn?.split("::")[2];
  const qualified =
    parentType !== undefined && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${r.type}` : r.type;
  return `urn:pulumi:${r.stack}::${r.project}::${qualified}::${r.name}`;
}

/** Project and stack of a mock URN. */
function projectAndStack(urn: string): { project: string; stack: string } {
  const [stack, project] = urn.slice("urn:pulumi:".length).split("::");
  return { project, stack };
}

/** Each recorded resource's engine URN, by its mock URN. */
export function engineUrns(resources: readonly RecordedResource[]): Map<string, string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const engine = new Map<string, string>();
  const of = (r: RecordedResource): string => {
    const known = engine.get(r.urn);
    if (known !== undefined) return known;
    const parent = r.parent !== undefined ? byUrn.get(r.parent) : undefined;
    const urn = engineUrn({ ...r, ...projectAndStack(r.urn), parentUrn: parent ? of(parent) : undefined });
    engine.set(r.urn, urn);
    return urn;
  };
  resources.forEach(of);
  return engine;
}

/**
 * Each resource's engine URN and the old URNs it answers to, as the engine matches them: its own
 * aliases (a spec's empty fields are the resource's own), and its type and name under each URN its
 * parent answers to (the engine derives children's aliases from their parent's).
 */
export function urnsWithAliases(resources: readonly RecordedResource[]): Map<string, Set<string>> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const engine = engineUrns(resources);
  const known = new Map<string, Set<string>>();
  const answersTo = (r: RecordedResource): Set<string> => {
    const cached = known.get(r.urn);
    if (cached) return cached;
    const own = projectAndStack(r.urn);
    const names = new Set<string>([engine.get(r.urn)!]);
    for (const alias of r.aliases) {
      if (alias.urn !== undefined) {
        names.add(alias.urn);
        continue;
      }
      const parentMock = alias.noParent ? undefined : (alias.parent ?? r.parent);
      names.add(
        engineUrn({
          type: alias.type ?? r.type,
          name: alias.name ?? r.name,
          project: alias.project ?? own.project,
          stack: alias.stack ?? own.stack,
          parentUrn: parentMock !== undefined ? engine.get(parentMock) : undefined,
        }),
      );
    }
    const parent = r.parent !== undefined ? byUrn.get(r.parent) : undefined;
    if (parent !== undefined)
      for (const parentUrn of answersTo(parent))
        names.add(engineUrn({ type: r.type, name: r.name, ...own, parentUrn }));
    known.set(r.urn, names);
    return names;
  };
  resources.forEach(answersTo);
  const out = new Map<string, Set<string>>();
  for (const r of resources) out.set(engine.get(r.urn)!, answersTo(r));
  return out;
}

export function baselineFile(name: string): string {
  return path.join(BASELINE_DIR, `${name}.txt`);
}

export function readBaseline(name: string): string[] | undefined {
  const file = baselineFile(name);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : undefined;
}

export function writeBaseline(name: string, urns: readonly string[]): void {
  fs.mkdirSync(BASELINE_DIR, { recursive: true });
  fs.writeFileSync(baselineFile(name), [...urns].sort().join("\n") + "\n");
}
