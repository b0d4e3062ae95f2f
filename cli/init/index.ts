/**
 * `airflow-secrets init`: scaffolds a repository that holds only stack files and runs the program
 * shipped in this package. Loads no Pulumi module; writes nothing if any file it would write exists.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs, UsageError } from "../args";
import { INIT_USAGE } from "../usage";
import { BACKENDS, Backend, ENVIRONMENTS, PROVIDER_SETTINGS, STACKS_DIR, stackFile } from "./stacks";
import { POLICY_PACK_PATH, deployWorkflow, pullRequestWorkflow } from "./workflows";

export interface InitIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export { BACKENDS, POLICY_PACK_PATH };

/** A Pulumi project name: letters, digits, `-`, `_` and `.` (what `pulumi new` accepts). */
const PROJECT_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export interface InitOptions {
  backend: Backend;
  dir: string;
  project: string;
  /** `owner/name` of the GitHub repository, for OIDC subjects in the examples. */
  repository: string;
  version: string;
}

function pulumiYaml(options: InitOptions): string {
  return `# The program is the one shipped, compiled, in the airflow-secrets package; this repository holds only
# its stack files (stacks/Pulumi.<stack>.yaml). \`npx airflow-secrets synth --stack dev\` runs it offline.
name: ${options.project}
runtime:
  name: nodejs
  options:
    typescript: false
main: node_modules/airflow-secrets/dist/stacks/
stackConfigDir: ${STACKS_DIR}
description: Airflow connections, variables and config (${options.backend} backend), one stack per environment.
`;
}

function preCommitConfig(options: InitOptions): string {
  return `# pre-commit (https://pre-commit.com): secret lookups that run every time Airflow parses a DAG file.
# This hook runs the airflow-secrets installed by npm here (run \`npm ci\` first), so pre-commit and CI
# use the version pinned in package-lock.json.
repos:
  - repo: local
    hooks:
      - id: airflow-secrets-lint-dags
        name: airflow-secrets lint-dags
        entry: npx --no-install airflow-secrets lint-dags
        language: system
        types: [python]
        files: (^|/)dags/
# Without a node_modules here, pre-commit can install the hook itself from the airflow-secrets repository
# at a release tag (tags are v<package version>):
#  - repo: https://github.com/<owner>/airflow-secrets
#    rev: v${options.version}
#    hooks:
#      - id: airflow-secrets-lint-dags
`;
}

function readme(options: InitOptions): string {
  const rows = ENVIRONMENTS.map((environment) => {
    const settings = PROVIDER_SETTINGS[options.backend]
      .map((s) => `  - \`${s.key}\` (e.g. \`${s.value(environment)}\`): ${s.why}`)
      .join("\n");
    return `- **${environment}** (\`stacks/Pulumi.${environment}.yaml\`):\n${settings}`;
  }).join("\n");
  return `# ${options.project}

Airflow connections, variables and config for every environment, as stack files of the
[airflow-secrets](https://www.npmjs.com/package/airflow-secrets) program (${options.backend} backend).

\`\`\`bash
npm ci
npx airflow-secrets synth --stack dev            # offline: resource tree + Airflow configuration
npx airflow-secrets check --stack prod           # offline: the policy pack's verdict
pulumi preview -s dev --policy-pack ${POLICY_PACK_PATH}
\`\`\`

## Provider configuration each stack needs for \`pulumi up\`

The offline commands need none of this; \`pulumi preview\` and \`pulumi up\` do. Set it in the stack file
(\`pulumi config set -s <stack> <key> <value>\`) or in the environment named.

${rows}

\`kubernetes:context\` is set in every stack file on purpose: without it the Kubernetes provider uses
whatever context is current on the machine running \`pulumi up\`.

## Secrets

Replace every \`secure: v1:EXAMPLE:…\` placeholder:
\`pulumi config set -s <stack> --secret --path 'airflow-secrets:connections[0].password'\`.

## CI

\`.github/workflows/pull-request.yml\` (offline check and DAG lint for every pull request; preview with the
policy pack for branches of this repository) and \`.github/workflows/deploy.yml\` (\`pulumi up\` per stack
on merges to main that touch the stacks). Set \`PULUMI_ORG\` in both and the repository variables they name.
`;
}

/** Every file init writes, relative to the target directory. */
export function scaffold(options: InitOptions): Record<string, string> {
  const params = {
    project: options.project,
    backend: options.backend,
    stacks: ENVIRONMENTS,
    organization: "my-pulumi-org",
  };
  const files: Record<string, string> = {
    "Pulumi.yaml": pulumiYaml(options),
    ".pre-commit-config.yaml": preCommitConfig(options),
    ".github/workflows/pull-request.yml": pullRequestWorkflow(params),
    ".github/workflows/deploy.yml": deployWorkflow(params),
    "README.md": readme(options),
  };
  for (const environment of ENVIRONMENTS)
    files[`${STACKS_DIR}/Pulumi.${environment}.yaml`] = stackFile(
      options.backend,
      environment,
      options.project,
      options.repository,
    );
  return files;
}

/** Writes the files; refuses, before writing anything, if any of them exists. */
export function writeScaffold(options: InitOptions): string[] {
  const files = scaffold(options);
  const existing = Object.keys(files).filter((file) => fs.existsSync(path.join(options.dir, file)));
  if (existing.length > 0) throw new ExistingFilesError(existing);
  for (const [file, text] of Object.entries(files)) {
    const target = path.join(options.dir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // "wx": a file created meanwhile is still never overwritten.
    fs.writeFileSync(target, text, { flag: "wx" });
  }
  return Object.keys(files);
}

export class ExistingFilesError extends Error {
  constructor(readonly files: string[]) {
    super(
      `not overwriting existing file${files.length === 1 ? "" : "s"}: ${files.join(", ")}; nothing was written`,
    );
  }
}

function packageVersion(): string {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (!fs.existsSync(file)) continue;
    const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (manifest.name === "airflow-secrets" && manifest.version) return manifest.version;
  }
  return "0.0.0";
}

export async function runInit(argv: readonly string[], io: InitIo): Promise<number> {
  let options: InitOptions;
  try {
    const args = parseArgs(argv, { values: ["backend", "dir", "name", "repository"], switches: [] });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const backend = args.values.backend ?? "env";
    if (!(BACKENDS as readonly string[]).includes(backend))
      throw new UsageError(`--backend must be one of ${BACKENDS.join(", ")}, not "${backend}"`);
    const dir = path.resolve(args.values.dir ?? ".");
    const project = args.values.name ?? path.basename(dir);
    if (!PROJECT_NAME.test(project))
      throw new UsageError(
        `project name "${project}" may only hold letters, digits, "-", "_" and "."; pass --name PROJECT`,
      );
    const repository = args.values.repository ?? `my-org/${project}`;
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository))
      throw new UsageError(`--repository must be OWNER/NAME, not "${repository}"`);
    options = { backend: backend as Backend, dir, project, repository, version: packageVersion() };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`error: ${error.message}\n\n${INIT_USAGE}\n`);
    return 2;
  }
  try {
    const written = writeScaffold(options);
    io.stdout(
      `Wrote ${written.length} files to ${options.dir} (${options.backend} backend):\n` +
        written.map((f) => `  ${f}\n`).join("") +
        "Next: replace the example values, then `npx airflow-secrets synth --stack dev` and `check --stack prod`.\n",
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ExistingFilesError)) throw error;
    io.stderr(`error: ${error.message}\n`);
    return 1;
  }
}
