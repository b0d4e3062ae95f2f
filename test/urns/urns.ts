/**
 * URNs of synthesized stacks, and the URNs the engine would match them to through aliases. A refactor
 * that moves a resource under another parent must alias it, or `pulumi up` replaces it (a deleted and
 * recreated secret loses its versions; a recreated KMS key cannot decrypt what the old one encrypted).
 */
import * as fs from "fs";
import * as path from "path";
import { RecordedResource, resourceUrn } from "../../cli/synth/mockRuntime";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";
import { manifest, CORPUS } from "../stackFiles/corpus";

export const REPO = path.resolve(__dirname, "../..");
export const BASELINE_DIR = path.join(REPO, "test/fixtures/urns");

/** Every stack file that ships, plus every corpus file expected to synthesize. */
export function urnCases(): { name: string; file: string }[] {
  const shipped = ["stacks", "stacks/examples"].flatMap((dir) =>
    fs
      .readdirSync(path.join(REPO, dir))
      .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
      .map((f) => ({ name: `${dir.replace(/\//g, "-")}-${f}`, file: path.join(REPO, dir, f) })),
  );
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
 * Each resource's URN and the old URNs it answers to: its own aliases, and (as the engine derives them)
 * its own type and name under each of its parent's old URNs.
 */
export function urnsWithAliases(resources: readonly RecordedResource[]): Map<string, Set<string>> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const known = new Map<string, Set<string>>();
  const answersTo = (r: RecordedResource): Set<string> => {
    const cached = known.get(r.urn);
    if (cached) return cached;
    const [, stackProject] = r.urn.split("urn:pulumi:");
    const [stack, project] = stackProject.split("::");
    const names = new Set<string>([r.urn, ...r.aliases]);
    const parent = r.parent !== undefined ? byUrn.get(r.parent) : undefined;
    if (parent !== undefined)
      for (const parentUrn of answersTo(parent))
        names.add(resourceUrn({ type: r.type, name: r.name, parent: parentUrn, project, stack }));
    known.set(r.urn, names);
    return names;
  };
  resources.forEach(answersTo);
  return known;
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
