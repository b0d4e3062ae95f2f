/**
 * `airflow-secrets lint-dags PATH...`: finds secret lookups that run when Airflow parses a DAG
 * file (module level, class bodies, decorators, default arguments, `with DAG` blocks, @dag bodies).
 */
import { promises as fs } from "fs";
import { parseArgs, UsageError } from "../args";
import { describeError, findDagFiles } from "./dagFiles";
import { compareFindings, Finding, formatJson, formatText } from "./findings";
import { lintDagSource } from "./lintSource";
import { LINT_DAGS_USAGE, wantsHelp } from "../usage";

export type { Finding, RuleId } from "./findings";
export { lintDagSource };

export interface LintDagsIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const processIo: LintDagsIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

const EXIT_CLEAN = 0;
const EXIT_FINDINGS = 1;
const EXIT_USAGE_OR_IO = 2;

export async function runLintDags(argv: string[], io: LintDagsIo = processIo): Promise<number> {
  let format: "text" | "json";
  let paths: string[];
  try {
    if (wantsHelp(argv)) {
      io.stdout(`${LINT_DAGS_USAGE}\n`);
      return EXIT_CLEAN;
    }
    const args = parseArgs(argv, { values: ["format"], switches: [] });
    const requested = args.values.format ?? "text";
    if (requested !== "text" && requested !== "json")
      throw new UsageError(`--format must be text or json, not "${requested}"`);
    if (args.positionals.length === 0) throw new UsageError("no PATH given");
    format = requested;
    paths = args.positionals;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`airflow-secrets lint-dags: ${error.message}\n\n${LINT_DAGS_USAGE}\n`);
    return EXIT_USAGE_OR_IO;
  }

  const { files, errors } = await findDagFiles(paths);
  const findings: Finding[] = [];
  for (const file of files) {
    let contents: Buffer;
    try {
      contents = await fs.readFile(file);
    } catch (error) {
      errors.push(`${file}: ${describeError(error)}`);
      continue;
    }
    findings.push(...(await lintDagSource(contents, file)));
  }
  findings.sort(compareFindings);
  const report = format === "json" ? formatJson(findings) : formatText(findings);
  if (report) io.stdout(report);
  for (const error of errors) io.stderr(`airflow-secrets lint-dags: cannot read ${error}\n`);
  if (errors.length > 0) return EXIT_USAGE_OR_IO;
  return findings.length > 0 ? EXIT_FINDINGS : EXIT_CLEAN;
}
