/**
 * `synth --dags PATH`: the lookup-cost estimate after the synthesized stack (a text section, or a
 * `lookupCost` key in the JSON document). Loaded only when --dags is given, so plain synth never
 * loads the DAG parser.
 */
import * as path from "path";
import { readStackTarget } from "../import/stackTarget";
import { findProject } from "../synth/stackFile";
import type { SynthInvocation } from "../synthCommand";
import { costText } from "./estimate";
import { costOptions, estimateStackCost } from "./stackCost";

export async function withLookupCost(
  printed: string,
  invocation: SynthInvocation,
  values: Record<string, string>,
  json: boolean,
  warn: (text: string) => void,
): Promise<string> {
  const cwd = values.cwd ?? process.cwd();
  const options = costOptions(values);
  const target = readStackTarget(path.resolve(findProject(cwd).root, invocation.result.configFile));
  const { estimate, errors } = await estimateStackCost(target, invocation.result.airflowConfig, {
    ...options,
    dags: options.dags.map((p) => path.resolve(cwd, p)),
  });
  for (const error of errors) warn(`warning: cannot read DAG file ${error}\n`);
  if (json) return `${JSON.stringify({ ...JSON.parse(printed), lookupCost: estimate }, null, 2)}\n`;
  return `${printed}\n${costText(estimate).join("\n")}\n`;
}
