/**
 * `airflow-secrets import --stack NAME FILE…`: moves what `airflow connections export` and
 * `airflow variables export` wrote into the stack file (comments and order kept) and writes a
 * script that sets every secret with `pulumi config set --secret`. Ids the backend cannot store
 * are refused with a rename the contract accepts and the DAG lines that use them.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs, UsageError } from "../args";
import { IMPORT_USAGE } from "../usage";
import { locateStack, stackConfigFile } from "../synth/stackFile";
import { findDagReferences } from "./dagReferences";
import { readExportFile } from "./exportFile";
import { ImportPlan, planImport } from "./plan";
import { renderScript, writeScript } from "./script";
import { appendToList, readStackTarget } from "./stackTarget";

export interface ImportIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: ImportIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

const list = (value: string | undefined) =>
  new Set(
    (value ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

export async function runImport(argv: readonly string[], io: ImportIo = processIo): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, {
      values: ["stack", "config-file", "cwd", "out", "dags", "secret-variables", "secret-extras"],
      switches: ["dry-run", "all-variables-secret", "accept-renames", "json", "help"],
    });
    if (args.switches.has("help")) {
      io.stdout(`${IMPORT_USAGE}\n`);
      return 0;
    }
    if (!args.values.stack && !args.values["config-file"])
      throw new UsageError("--stack NAME or --config-file FILE is required");
    if (args.positionals.length === 0) throw new UsageError("no export file given");
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`error: ${error.message}\n\n${IMPORT_USAGE}\n`);
    return 2;
  }
  try {
    const cwd = args.values.cwd ?? process.cwd();
    const { project, configFile, stack } = locateStack({
      stack: args.values.stack,
      configFile: args.values["config-file"],
      cwd,
    });
    const target = readStackTarget(configFile);
    const exports = args.positionals.map((file) => readExportFile(path.resolve(cwd, file)));
    const dags = args.values.dags ? [...list(args.values.dags)].map((p) => path.resolve(cwd, p)) : [];
    const found = dags.length > 0 ? await findDagReferences(dags) : { references: [], errors: [] };
    for (const error of found.errors) io.stderr(`warning: cannot read DAG file ${error}\n`);
    const plan = planImport(target, exports, {
      secretVariables: list(args.values["secret-variables"]),
      allVariablesSecret: args.switches.has("all-variables-secret"),
      secretExtras: list(args.values["secret-extras"]),
      acceptRenames: args.switches.has("accept-renames"),
      references: found.references,
    });
    const dryRun = args.switches.has("dry-run");
    const secrets = plan.imported.flatMap((item) => item.secrets);
    const outDir = path.resolve(cwd, args.values.out ?? `airflow-secrets-import-${stack}`);
    let scriptPath: string | undefined;
    if (!dryRun && plan.imported.length > 0) {
      for (const kind of ["connection", "variable"] as const) {
        appendToList(
          target.document,
          kind === "connection" ? "connections" : "variables",
          plan.imported.filter((item) => item.kind === kind),
        );
      }
      fs.writeFileSync(configFile, target.document.toString({ lineWidth: 0, flowCollectionPadding: false }));
      if (secrets.length > 0) {
        const defaultFile = stackConfigFile(project, stack);
        scriptPath = writeScript(
          outDir,
          renderScript(secrets, {
            stack,
            configFile:
              path.resolve(configFile) === path.resolve(defaultFile) ? undefined : path.resolve(configFile),
            projectRoot: project.root,
          }),
        ).script;
      }
    }
    const relativeConfig = path.relative(cwd, configFile) || configFile;
    io.stdout(
      args.switches.has("json")
        ? `${JSON.stringify({ stack, configFile: relativeConfig, backend: target.kind, dryRun, script: scriptPath ?? null, ...printable(plan) }, null, 2)}\n`
        : reportText(plan, {
            stack,
            configFile: relativeConfig,
            backend: target.profile.title,
            dryRun,
            scriptPath,
          }),
    );
    return 0;
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

/** The plan without locators' files spelled twice; declarations keep only placeholders. */
function printable(plan: ImportPlan) {
  return {
    imported: plan.imported.map((item) => ({
      kind: item.kind,
      id: item.id,
      ...(item.renamedFrom !== undefined
        ? { renamedFrom: item.renamedFrom, references: item.references }
        : {}),
      file: item.file,
      declaration: item.declaration,
      secrets: item.secrets.map((s) => s.configPath),
    })),
    refused: plan.refused,
    skipped: plan.skipped,
  };
}

interface ReportContext {
  stack: string;
  configFile: string;
  backend: string;
  dryRun: boolean;
  scriptPath?: string;
}

export function reportText(plan: ImportPlan, context: ReportContext): string {
  const lines: string[] = [];
  const verb = context.dryRun ? "Would add" : "Added";
  lines.push(`${verb} to stack ${context.stack} (${context.configFile}, ${context.backend}):`);
  if (plan.imported.length === 0) lines.push("  nothing");
  for (const item of plan.imported) {
    const renamed = item.renamedFrom !== undefined ? ` (renamed from ${item.renamedFrom})` : "";
    const type = item.kind === "connection" ? ` [${String(item.declaration.conn_type)}]` : "";
    const secrets = item.secrets.length > 0 ? `, ${item.secrets.length} secret(s)` : "";
    lines.push(`  + ${item.kind} ${item.id}${renamed}${type} from ${path.basename(item.file)}${secrets}`);
    if (item.renamedFrom !== undefined && item.references && item.references.length > 0)
      lines.push(`      change the old id in: ${item.references.join(", ")}`);
  }
  if (plan.refused.length > 0) {
    lines.push("", `Refused (${plan.refused.length}):`);
    for (const item of plan.refused) {
      lines.push(`  - ${item.kind} ${item.id} from ${path.basename(item.file)}`);
      for (const reason of item.reasons) lines.push(`      ${reason}`);
      if (item.rename !== undefined) lines.push(`      suggested rename: ${item.rename}`);
      lines.push(
        `      referenced in: ${item.references.length > 0 ? item.references.join(", ") : "no DAG file found (give --dags)"}`,
      );
    }
  }
  if (plan.skipped.length > 0) {
    lines.push("", `Skipped (${plan.skipped.length}):`);
    for (const item of plan.skipped) lines.push(`  = ${item.kind} ${item.id}: ${item.reason}`);
  }
  const secrets = plan.imported.reduce((n, item) => n + item.secrets.length, 0);
  lines.push("");
  if (secrets === 0) lines.push("No secret values to set.");
  else if (context.dryRun)
    lines.push(
      `${secrets} secret value(s) would be set by a generated script with pulumi config set --secret.`,
    );
  else
    lines.push(
      `${secrets} secret value(s) are secure: placeholders until you run ${context.scriptPath} (it reads each value from the export file and sets it with pulumi config set --secret).`,
    );
  return `${lines.join("\n")}\n`;
}
