/**
 * Merge keys, generated (issue 15: YAML is read the way Pulumi reads it): in every backend's valid
 * corpus file, each map below `config:` (a settings block, a declaration, a nested map) rewritten as
 * a merge of itself (`key: {<<: {…}}`) plans exactly what the original plans: the same resources with
 * the same inputs. Anchored merges (`<<: *x`) are in yamlReading.test.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Document, isMap, isSeq, parseDocument, YAMLMap } from "yaml";
import { RecordedResource } from "../../cli/synth/mockRuntime";
import { parseSynthArgs, synthFromArgs } from "../../cli/synthCommand";
import { CORPUS } from "./corpus";

jest.setTimeout(1_200_000);

const BASES = ["env/valid.yaml", "vault/valid.yaml", "aws/valid.yaml", "gcp/valid.yaml", "azure/valid.yaml"];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "merge-keys-"));

/** Paths of every map below `config:` (the config map itself excluded: its keys are namespaced). */
function mapPaths(doc: Document): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const walk = (node: unknown, at: Array<string | number>) => {
    if (isMap(node)) {
      if (at.length > 1) out.push(at);
      for (const pair of node.items)
        walk(pair.value, [...at, String((pair.key as { value: unknown }).value)]);
    } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...at, i]));
  };
  walk(doc.getIn(["config"], true), ["config"]);
  return out;
}

/** Each resource's URN and inputs; always the same file name, since names derive from the stack's. */
async function plan(text: string): Promise<string[]> {
  const file = path.join(dir, "Pulumi.merged.yaml");
  fs.writeFileSync(file, text);
  const { result } = await synthFromArgs(parseSynthArgs(["--config-file", file]));
  return result.raw
    .map((r: RecordedResource) => `${r.urn.split("::").slice(2).join("::")} ${JSON.stringify(r.inputs)}`)
    .sort();
}

describe.each(BASES)("%s", (base) => {
  const source = fs.readFileSync(path.join(CORPUS, base), "utf8");
  const paths = mapPaths(parseDocument(source));

  it("plans the same with every map written as a merge of itself", async () => {
    expect(paths.length).toBeGreaterThan(3);
    const expected = await plan(source);
    expect(expected.length).toBeGreaterThan(3);
    for (const at of paths) {
      const inline = parseDocument(source, { merge: true });
      const original = inline.getIn(at, true) as YAMLMap;
      const merged = new YAMLMap();
      merged.set(inline.createNode("<<"), original);
      inline.setIn(at, merged);
      expect(inline.toString()).toMatch(/<<:/);
      expect([at.join("."), await plan(inline.toString())]).toEqual([at.join("."), expected]);
    }
  });
});
