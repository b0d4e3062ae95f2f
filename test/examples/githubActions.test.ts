/**
 * The GitHub Actions examples (examples/github-actions) checked against this repository: the CLI they call,
 * the stacks and policy pack they name, the inputs of the actions they use, how they log in, and the order
 * and protection of the deploys. Each check is a function returning the problems it finds, run on the real
 * workflows (no problems expected) and on deliberately broken copies (the problem expected), so no check
 * can pass vacuously.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse, parseDocument } from "yaml";

const ROOT = path.resolve(__dirname, "../..");
const EXAMPLES = path.join(ROOT, "examples", "github-actions");
const PR_FILE = path.join(EXAMPLES, "pull-request.yml");
const DEPLOY_FILE = path.join(EXAMPLES, "deploy.yml");

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string> | string;
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean } | string;
  "runs-on"?: unknown;
  steps?: Step[];
}
interface Workflow {
  name?: string;
  on?: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  env?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean } | string;
  jobs?: Record<string, Job>;
}
interface Loaded {
  file: string;
  text: string;
  workflow: Workflow;
  parseErrors: string[];
}

function load(file: string, text = fs.readFileSync(file, "utf8")): Loaded {
  const doc = parseDocument(text);
  return {
    file: path.basename(file),
    text,
    workflow: (doc.toJS() ?? {}) as Workflow,
    parseErrors: [...doc.errors, ...doc.warnings].map((e) => e.message),
  };
}

/** A copy of a workflow with one textual change; fails loudly when the text to change is not there. */
function mutate(file: string, from: string | RegExp, to: string): Loaded {
  const text = fs.readFileSync(file, "utf8");
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`mutation of ${file} did not apply: ${String(from)}`);
  return load(file, changed);
}

const jobsOf = (w: Workflow): [string, Job][] => Object.entries(w.jobs ?? {});
const stepsOf = (job: Job): Step[] => job.steps ?? [];
const actionOf = (step: Step): string | undefined => step.uses?.split("@")[0];
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));
const environmentOf = (job: Job): string | undefined =>
  typeof job.environment === "object" ? job.environment.name : job.environment;
const permissionOf = (p: Job["permissions"], scope: string): string | undefined =>
  typeof p === "string" ? p.replace(/-all$/, "") : p?.[scope];

/** `${{ env.X }}` from the job's then the workflow's env; `${{ matrix.K }}` once per matrix value. */
function expand(value: string, job: Job, w: Workflow): string[] {
  const withEnv = value.replace(/\$\{\{\s*env\.(\w+)\s*\}\}/g, (whole, name: string) => {
    const resolved = job.env?.[name] ?? w.env?.[name];
    return resolved === undefined ? whole : String(resolved);
  });
  const matrixRef = /\$\{\{\s*matrix\.(\w+)\s*\}\}/.exec(withEnv);
  if (!matrixRef) return [withEnv];
  const values = job.strategy?.matrix?.[matrixRef[1]];
  if (!Array.isArray(values)) return [withEnv];
  return values.flatMap((v) => expand(withEnv.replace(matrixRef[0], String(v)), job, w));
}

// ---------------------------------------------------------------------------------------------------
// Facts of this repository
// ---------------------------------------------------------------------------------------------------

const STACK_DIR = path.join(ROOT, "stacks");
const STACKS = fs
  .readdirSync(STACK_DIR)
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => s !== undefined)
  .sort();
const stackFileExists = (stack: string) => fs.existsSync(path.join(STACK_DIR, `Pulumi.${stack}.yaml`));
const PROJECT = (parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name: string }).name;

interface PreCommitHook {
  id: string;
  entry: string;
  files?: string;
}
const HOOKS = parse(fs.readFileSync(path.join(ROOT, ".pre-commit-hooks.yaml"), "utf8")) as PreCommitHook[];

/** Command name → the options its usage line lists, from `airflow-secrets --help`. */
function cliUsage(): Map<string, Set<string>> {
  const help = execFileSync(process.execPath, [path.join(ROOT, "bin", "airflow-secrets.js"), "--help"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  const commands = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  let inCommands = false;
  for (const line of help.split("\n")) {
    if (/^commands:/.test(line)) inCommands = true;
    else if (!inCommands) continue;
    const command = /^ {2}([a-z][a-z-]*)(\s|$)/.exec(line);
    if (command) commands.set(command[1], (current = new Set()));
    for (const option of line.matchAll(/--[a-z][a-z-]*/g)) current?.add(option[0]);
  }
  return commands;
}

/**
 * Inputs each action declares in its action.yml at the major version the examples use (read from the
 * actions' repositories at those tags). A `with:` key outside this list is a typo the action ignores.
 */
const words = (list: string): string[] => list.split(/\s+/).filter(Boolean);
const ACTION_INPUTS: Record<string, string[]> = {
  "actions/checkout@v7": words(
    "repository ref token ssh-key ssh-known-hosts ssh-strict ssh-user persist-credentials path " +
      "clean filter sparse-checkout sparse-checkout-cone-mode fetch-depth fetch-tags show-progress " +
      "lfs submodules set-safe-directory github-server-url allow-unsafe-pr-checkout",
  ),
  "actions/setup-node@v7": words(
    "node-version node-version-file architecture check-latest registry-url scope token cache " +
      "package-manager-cache cache-dependency-path mirror mirror-token",
  ),
  "aws-actions/configure-aws-credentials@v6": words(
    "aws-region aws-profile overwrite-aws-profile role-to-assume aws-access-key-id " +
      "aws-secret-access-key aws-session-token web-identity-token-file role-chaining audience " +
      "http-proxy no-proxy mask-aws-account-id role-duration-seconds role-external-id " +
      "role-session-name role-skip-session-tagging transitive-tag-keys inline-session-policy " +
      "managed-session-policies output-credentials output-env-credentials unset-current-credentials " +
      "disable-retry retry-max-attempts special-characters-workaround use-existing-credentials " +
      "allowed-account-ids force-skip-oidc action-timeout-s custom-tags sts-endpoint",
  ),
  "hashicorp/vault-action@v3": words(
    "url secrets pki namespace method role path token roleId secretId githubToken " +
      "kubernetesTokenPath username password authPayload extraHeaders exportEnv exportToken " +
      "outputToken caCertificate clientCertificate clientKey tlsSkipVerify jwtPrivateKey " +
      "jwtKeyPassword jwtGithubAudience jwtTtl secretEncodingType ignoreNotFound",
  ),
  "pulumi/auth-actions@v2": words(
    "organization requested-token-type scope token-expiration export-environment-variables " + "cloud-url",
  ),
  "pulumi/actions@v6": words(
    "command stack-name pulumi-version pulumi-version-file work-dir comment-on-pr " +
      "comment-on-pr-number comment-on-summary github-token cloud-url secrets-provider parallel " +
      "message config-map expect-no-changes diff replace exclude exclude-dependents target " +
      "target-dependents policyPacks policyPackConfigs refresh upsert remove edit-pr-comment color " +
      "exclude-protected plan suppress-outputs suppress-progress always-include-summary " +
      "continue-on-error log-verbosity log-flow debug",
  ),
};

/** Actions that exchange the job's OIDC token for credentials. */
const LOGIN_ACTIONS = new Set([
  "aws-actions/configure-aws-credentials",
  "google-github-actions/auth",
  "azure/login",
  "hashicorp/vault-action",
  "pulumi/auth-actions",
]);

/** Inputs, variables and contexts that mean a stored, long-lived credential (case-insensitive, comments too). */
const LONG_LIVED = [
  /aws-access-key-id/i,
  /aws-secret-access-key/i,
  /AWS_ACCESS_KEY_ID/i,
  /AWS_SECRET_ACCESS_KEY/i,
  /credentials_json/i,
  /client-secret/i,
  /clientSecret/i,
  /^\s*#?\s*creds:/im,
  /secretId/i,
  /PULUMI_ACCESS_TOKEN/i,
  /PULUMI_CONFIG_PASSPHRASE/i,
  /VAULT_TOKEN\s*:/i,
  /\bsecrets\.[A-Za-z_]/,
];

// ---------------------------------------------------------------------------------------------------
// Checks: each returns the problems it finds
// ---------------------------------------------------------------------------------------------------

function structureProblems({ workflow: w, parseErrors }: Loaded): string[] {
  const problems = parseErrors.map((e) => `YAML: ${e}`);
  if (!w.on || typeof w.on !== "object") problems.push("no `on:` triggers");
  if (jobsOf(w).length === 0) problems.push("no jobs");
  for (const [id, job] of jobsOf(w)) {
    if (!job["runs-on"]) problems.push(`${id}: no runs-on`);
    if (stepsOf(job).length === 0) problems.push(`${id}: no steps`);
    for (const need of needsOf(job)) if (!w.jobs?.[need]) problems.push(`${id}: needs unknown job ${need}`);
  }
  return problems;
}

interface Invocation {
  job: string;
  stepIndex: number;
  command: string;
  args: string[];
}

/** Every `airflow-secrets <command> …` in a run script, once per matrix value. */
function invocations(w: Workflow): Invocation[] {
  const found: Invocation[] = [];
  for (const [id, job] of jobsOf(w)) {
    stepsOf(job).forEach((step, stepIndex) => {
      for (const script of step.run ? expand(step.run, job, w) : []) {
        for (const line of script.split("\n")) {
          const m = /(?:^|[\s;&|])airflow-secrets\s+(.*)$/.exec(line);
          if (!m) continue;
          const [command = "", ...args] = m[1].split(/[;&|]/)[0].trim().split(/\s+/);
          found.push({ job: id, stepIndex, command, args });
        }
      }
    });
  }
  return found;
}

function cliProblems(loaded: Loaded, usage: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  for (const { job, command, args } of invocations(loaded.workflow)) {
    const options = usage.get(command);
    if (!options) {
      problems.push(
        `${job}: airflow-secrets has no command "${command}" (has ${[...usage.keys()].join(", ")})`,
      );
      continue;
    }
    args.forEach((arg, i) => {
      if (arg.startsWith("--") && !options.has(arg)) problems.push(`${job}: ${command} has no option ${arg}`);
      if (arg === "--stack" && !stackFileExists(args[i + 1] ?? ""))
        problems.push(`${job}: --stack ${args[i + 1]} but no stacks/Pulumi.${args[i + 1]}.yaml`);
    });
  }
  return problems;
}

function pinningProblems({ text }: Loaded): string[] {
  // Raw text, so the commented alternatives are held to the same rule.
  return [...text.matchAll(/uses:\s*([^\s#]+)/g)]
    .map((m) => m[1])
    .filter((ref) => !/^[\w.-]+\/[\w./-]+@(v\d+|[0-9a-f]{40})$/.test(ref))
    .map((ref) => `uses ${ref}: pin to a major version tag or a commit SHA`);
}

function inputProblems({ workflow: w }: Loaded): string[] {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(w)) {
    for (const step of stepsOf(job)) {
      if (!step.uses) continue;
      const inputs = ACTION_INPUTS[step.uses];
      if (!inputs) {
        problems.push(`${id}: ${step.uses} is not an action these tests know the inputs of`);
        continue;
      }
      for (const key of Object.keys(step.with ?? {}))
        if (!inputs.includes(key)) problems.push(`${id}: ${step.uses} has no input "${key}"`);
    }
  }
  return problems;
}

function credentialProblems({ text, workflow: w }: Loaded): string[] {
  const problems = LONG_LIVED.filter((pattern) => pattern.test(text)).map(
    (pattern) => `long-lived credential reference matching ${pattern}`,
  );
  for (const [id, job] of jobsOf(w)) {
    const logsIn = stepsOf(job).some((s) => LOGIN_ACTIONS.has(actionOf(s) ?? ""));
    const idToken = permissionOf(job.permissions, "id-token") === "write";
    if (logsIn && !idToken) problems.push(`${id}: logs in but lacks permissions id-token: write`);
    if (!logsIn && idToken) problems.push(`${id}: has id-token: write but never logs in`);
    for (const step of stepsOf(job)) {
      if (actionOf(step) === "aws-actions/configure-aws-credentials" && !step.with?.["role-to-assume"])
        problems.push(`${id}: AWS login without role-to-assume`);
      if (actionOf(step) === "hashicorp/vault-action" && step.with?.method !== "jwt")
        problems.push(`${id}: Vault login not through the JWT (OIDC) method`);
    }
  }
  const top = w.permissions;
  if (
    typeof top !== "object" ||
    Object.entries(top).some(([scope, level]) => scope !== "contents" || level !== "read")
  )
    problems.push(`workflow-level permissions must be contents: read only, not ${JSON.stringify(top)}`);
  return problems;
}

interface PulumiStep {
  job: string;
  stepIndex: number;
  command: string;
  stack: string;
  with: Record<string, unknown>;
}

function pulumiSteps(w: Workflow): PulumiStep[] {
  return jobsOf(w).flatMap(([id, job]) =>
    stepsOf(job).flatMap((step, stepIndex) =>
      actionOf(step) === "pulumi/actions"
        ? expand(String(step.with?.["stack-name"] ?? ""), job, w).map((stack) => ({
            job: id,
            stepIndex,
            command: String(step.with?.command ?? ""),
            stack,
            with: step.with ?? {},
          }))
        : [],
    ),
  );
}

function pulumiProblems({ workflow: w }: Loaded): string[] {
  const problems: string[] = [];
  const steps = pulumiSteps(w);
  if (steps.length === 0) problems.push("no pulumi/actions step");
  for (const { job, stack, with: inputs } of steps) {
    const parts = stack.split("/");
    if (parts.length !== 3 || parts[1] !== PROJECT || !stackFileExists(parts[2]))
      problems.push(`${job}: stack-name ${stack} is not <org>/${PROJECT}/<a stack in stacks/>`);
    const packs = String(inputs.policyPacks ?? "")
      .split("\n")
      .map((p) => p.trim())
      .filter(Boolean);
    if (packs.length === 0) problems.push(`${job}: no policyPacks`);
    for (const pack of packs)
      if (!fs.existsSync(path.join(ROOT, pack, "PulumiPolicy.yaml")))
        problems.push(`${job}: policy pack ${pack} has no PulumiPolicy.yaml`);
  }
  return problems;
}

/** `npm ci` (the project's and the policy pack's dependencies) runs before anything needs them. */
function installOrderProblems({ workflow: w }: Loaded): string[] {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(w)) {
    const install = stepsOf(job).findIndex((s) => /^\s*npm ci\b/m.test(s.run ?? ""));
    stepsOf(job).forEach((step, i) => {
      const needsInstall = /airflow-secrets/.test(step.run ?? "") || actionOf(step) === "pulumi/actions";
      if (needsInstall && (install < 0 || install > i)) problems.push(`${id}: step ${i} runs before npm ci`);
    });
  }
  return problems;
}

const FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository";

function pullRequestProblems({ workflow: w }: Loaded): string[] {
  const problems: string[] = [];
  if (!w.on || !("pull_request" in w.on)) problems.push("not triggered by pull_request");
  const concurrency = w.concurrency;
  if (
    typeof concurrency !== "object" ||
    concurrency["cancel-in-progress"] !== true ||
    !/github\.event\.pull_request\.number|github\.ref/.test(concurrency.group)
  )
    problems.push("a newer push must cancel the older run of the same PR (concurrency)");

  const checked = invocations(w)
    .filter((i) => i.command === "check")
    .map((i) => i.args[i.args.indexOf("--stack") + 1]);
  if ([...new Set(checked)].sort().join() !== STACKS.join())
    problems.push(`airflow-secrets check runs for [${checked}], the stacks are [${STACKS}]`);

  for (const [id, job] of jobsOf(w)) {
    const idToken = permissionOf(job.permissions, "id-token") === "write";
    const offline = invocations(w).some(
      (i) => i.job === id && (i.command === "check" || i.command === "lint-dags"),
    );
    if (offline && (job.if !== undefined || idToken))
      problems.push(`${id}: the offline checks must run for every PR, forks included, without credentials`);
    if (idToken && !job.if?.includes(FORK_GUARD))
      problems.push(`${id}: logs in but is not skipped for fork PRs`);
    if (idToken && environmentOf(job) !== undefined)
      problems.push(`${id}: a PR job must not use an environment (its OIDC subject would be the deploy one)`);
  }

  const previews = pulumiSteps(w);
  for (const p of previews) {
    if (p.command !== "preview") problems.push(`${p.job}: pulumi ${p.command} in a pull request`);
    if (p.with["comment-on-pr"] !== true) problems.push(`${p.job}: preview without comment-on-pr: true`);
    if (permissionOf(w.jobs?.[p.job]?.permissions, "pull-requests") !== "write")
      problems.push(`${p.job}: comment-on-pr needs pull-requests: write`);
  }
  const previewed = previews.map((p) => p.stack.split("/")[2]).sort();
  if (previewed.join() !== STACKS.join())
    problems.push(`previews [${previewed}], the stacks are [${STACKS}]`);
  return problems;
}

function lintDagsProblems({ workflow: w }: Loaded): string[] {
  const problems: string[] = [];
  const lintSteps = jobsOf(w).flatMap(([, job]) =>
    stepsOf(job).filter((s) => /airflow-secrets lint-dags/.test(s.run ?? "")),
  );
  if (lintSteps.length === 0) problems.push("no lint-dags step");
  for (const step of lintSteps) {
    const hook = HOOKS.find((h) => h.id === step.id);
    if (!hook) {
      problems.push(`lint-dags step id ${step.id} is no hook id of .pre-commit-hooks.yaml`);
      continue;
    }
    if (!new RegExp(`\\b${hook.entry}\\s+"\\$DAGS_PATH"`).test(step.run ?? ""))
      problems.push(`lint-dags step does not run the hook's entry "${hook.entry}" on "$DAGS_PATH"`);
    const dags = w.env?.DAGS_PATH;
    if (!dags) problems.push("DAGS_PATH is not set in the workflow's env");
    else if (hook.files && !new RegExp(hook.files).test(path.posix.join(dags, "example_dag.py")))
      problems.push(`DAGS_PATH ${dags} is outside the hook's files pattern ${hook.files}`);
  }
  return problems;
}

const DEPLOY_ORDER = ["dev", "staging", "prod"];

function deployProblems({ workflow: w }: Loaded): string[] {
  const problems: string[] = [];
  const on = w.on ?? {};
  if (
    Object.keys(on).join() !== "push" ||
    JSON.stringify((on.push as { branches?: string[] })?.branches) !== '["main"]'
  )
    problems.push("deploys must be triggered by a push to main only");

  const ups = pulumiSteps(w);
  const jobOfStack = new Map<string, string>();
  const groups = new Set<string>();
  for (const up of ups) {
    const stack = up.stack.split("/")[2];
    const job = w.jobs?.[up.job] ?? {};
    jobOfStack.set(stack, up.job);
    if (up.command !== "up") problems.push(`${up.job}: pulumi ${up.command}, expected up`);
    if (environmentOf(job) !== stack)
      problems.push(`${up.job}: updates ${stack} in environment ${environmentOf(job)}`);
    const c = job.concurrency;
    if (typeof c !== "object" || c["cancel-in-progress"] !== false || !c.group.includes(stack))
      problems.push(`${up.job}: needs a per-stack concurrency group without cancel-in-progress`);
    else if (groups.has(c.group))
      problems.push(`${up.job}: concurrency group ${c.group} shared with another stack`);
    else groups.add(c.group);
    const gate = invocations(w).find(
      (i) => i.job === up.job && i.command === "check" && i.args[i.args.indexOf("--stack") + 1] === stack,
    );
    if (!gate || gate.stepIndex > up.stepIndex)
      problems.push(`${up.job}: no airflow-secrets check --stack ${stack} before up`);
  }
  DEPLOY_ORDER.forEach((stack, i) => {
    const job = jobOfStack.get(stack);
    if (!job) {
      problems.push(`no pulumi up for ${stack}`);
      return;
    }
    const expected = i === 0 ? [] : [jobOfStack.get(DEPLOY_ORDER[i - 1])];
    if (needsOf(w.jobs?.[job] ?? {}).join() !== expected.join())
      problems.push(`${job}: needs [${needsOf(w.jobs?.[job] ?? {})}], expected [${expected}]`);
  });
  return problems;
}

/** The AWS role each job assumes, resolved through env. */
function assumedRoles(w: Workflow): Map<string, string[]> {
  const roles = new Map<string, string[]>();
  for (const [id, job] of jobsOf(w))
    for (const step of stepsOf(job))
      if (actionOf(step) === "aws-actions/configure-aws-credentials")
        roles.set(id, expand(String(step.with?.["role-to-assume"] ?? ""), job, w));
  return roles;
}

function deployRoleProblems(deploy: Loaded, pr: Loaded): string[] {
  const problems: string[] = [];
  const prod = parse(fs.readFileSync(path.join(STACK_DIR, "Pulumi.prod.yaml"), "utf8")) as {
    config: Record<string, { deployerRoleArns?: string[] }>;
  };
  const deployers = prod.config["airflow-secrets:aws"]?.deployerRoleArns ?? [];
  const prodJob = pulumiSteps(deploy.workflow).find((s) => s.stack.endsWith("/prod"))?.job ?? "";
  const prodRoles = assumedRoles(deploy.workflow).get(prodJob) ?? [];
  if (prodRoles.length === 0 || prodRoles.some((r) => !deployers.includes(r)))
    problems.push(`prod deploys as [${prodRoles}], the stack's deployerRoleArns are [${deployers}]`);
  const deployRoles = new Set([...assumedRoles(deploy.workflow).values()].flat());
  for (const [job, roles] of assumedRoles(pr.workflow))
    for (const role of roles)
      if (deployRoles.has(role)) problems.push(`${job}: a PR job assumes the deploy role ${role}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------

describe("examples/github-actions", () => {
  const pr = load(PR_FILE);
  const deploy = load(DEPLOY_FILE);
  const usage = cliUsage();

  it("reads the CLI's commands from its --help", () => {
    expect([...usage.keys()].sort()).toEqual(expect.arrayContaining(["check", "lint-dags"]));
    expect(usage.get("check")).toContain("--stack");
  });

  it("ships the three environment stacks the workflows are written for", () => {
    expect(STACKS).toEqual(["dev", "prod", "staging"]);
  });

  describe.each([
    ["pull-request.yml", pr],
    ["deploy.yml", deploy],
  ])("%s", (_name, loaded) => {
    it("is valid YAML with triggers and jobs", () => expect(structureProblems(loaded)).toEqual([]));
    it("calls only airflow-secrets commands, options and stacks that exist", () => {
      expect(invocations(loaded.workflow).length).toBeGreaterThan(0);
      expect(cliProblems(loaded, usage)).toEqual([]);
    });
    it("pins every action to a major version tag or a SHA", () =>
      expect(pinningProblems(loaded)).toEqual([]));
    it("passes only inputs the actions declare", () => expect(inputProblems(loaded)).toEqual([]));
    it("logs in with OIDC only: id-token where needed, nothing stored or long-lived", () =>
      expect(credentialProblems(loaded)).toEqual([]));
    it("runs pulumi on this project's stacks with the policy pack", () =>
      expect(pulumiProblems(loaded)).toEqual([]));
    it("installs dependencies before using them", () => expect(installOrderProblems(loaded)).toEqual([]));
  });

  it("pull-request.yml: offline checks for everyone, previews with a PR comment for same-repo PRs", () =>
    expect(pullRequestProblems(pr)).toEqual([]));
  it("pull-request.yml: lint-dags matches the pre-commit hook", () =>
    expect(lintDagsProblems(pr)).toEqual([]));
  it("deploy.yml: dev → staging → prod, each in its environment, gated by check, never cancelled", () =>
    expect(deployProblems(deploy)).toEqual([]));
  it("deploy.yml: prod deploys as the stack's deployer role; PR jobs never assume a deploy role", () =>
    expect(deployRoleProblems(deploy, pr)).toEqual([]));

  it("the policy pack's dependencies are installed by the root npm ci the workflows run", () => {
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "package.json"), "utf8"));
    const installed = { ...root.dependencies, ...root.devDependencies };
    expect(Object.keys(pack.dependencies ?? {}).filter((d) => !(d in installed))).toEqual([]);
  });
});

describe("the checks catch broken workflows", () => {
  const usage = cliUsage();

  it("YAML errors and a missing jobs map", () => {
    expect(structureProblems(mutate(PR_FILE, /^jobs:/m, "jobs: [\n"))[0]).toMatch(/^YAML: /);
    expect(structureProblems(mutate(DEPLOY_FILE, /^jobs:/m, "jobz:"))).toContain("no jobs");
  });

  it("an unknown command, an unknown option, a stack without a file", () => {
    expect(
      cliProblems(
        mutate(PR_FILE, "airflow-secrets check --stack", "airflow-secrets validate --stack"),
        usage,
      ),
    ).toEqual(expect.arrayContaining([expect.stringContaining('no command "validate"')]));
    expect(
      cliProblems(mutate(DEPLOY_FILE, "check --stack prod", "check --stack prod --strict"), usage),
    ).toEqual(["up-prod: check has no option --strict"]);
    expect(
      cliProblems(mutate(PR_FILE, "stack: [dev, staging, prod]", "stack: [dev, qa, prod]"), usage),
    ).toEqual(["check: --stack qa but no stacks/Pulumi.qa.yaml"]);
  });

  it("a branch-pinned action and a misspelt input", () => {
    expect(pinningProblems(mutate(PR_FILE, "pulumi/actions@v6", "pulumi/actions@main"))).toContain(
      "uses pulumi/actions@main: pin to a major version tag or a commit SHA",
    );
    expect(
      inputProblems(mutate(PR_FILE, "policyPacks: dist/policies", "policy-packs: dist/policies")),
    ).toContain('preview-dev: pulumi/actions@v6 has no input "policy-packs"');
  });

  it("stored keys, a missing id-token permission, id-token granted workflow-wide", () => {
    const keys = mutate(
      DEPLOY_FILE,
      "role-to-assume: ${{ env.AWS_DEPLOY_ROLE_PROD }}",
      "aws-access-key-id: ${{ secrets.AWS_KEY }}",
    );
    expect(credentialProblems(keys)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("aws-access-key-id"),
        expect.stringContaining("secrets\\."),
        "up-prod: AWS login without role-to-assume",
      ]),
    );
    expect(
      credentialProblems(mutate(DEPLOY_FILE, /id-token: write(?![\s\S]*id-token: write)/, "id-token: none")),
    ).toEqual(["up-prod: logs in but lacks permissions id-token: write"]);
    expect(
      credentialProblems(
        mutate(
          PR_FILE,
          /^permissions:\n {2}contents: read/m,
          "permissions:\n  contents: read\n  id-token: write",
        ),
      ),
    ).toEqual([
      'workflow-level permissions must be contents: read only, not {"contents":"read","id-token":"write"}',
    ]);
  });

  it("an id-token permission on a job that never logs in", () => {
    const lint = mutate(
      PR_FILE,
      "    name: airflow-secrets lint-dags\n    runs-on: ubuntu-latest\n",
      "    name: airflow-secrets lint-dags\n    runs-on: ubuntu-latest\n    permissions:\n      id-token: write\n",
    );
    expect(credentialProblems(lint)).toEqual(["lint-dags: has id-token: write but never logs in"]);
  });

  it("a stack-name or policy pack that is not this repository's", () => {
    expect(pulumiProblems(mutate(DEPLOY_FILE, "airflow-secrets/prod", "airflow-secrets/production"))).toEqual(
      [
        "up-prod: stack-name acme/airflow-secrets/production is not <org>/airflow-secrets/<a stack in stacks/>",
      ],
    );
    expect(pulumiProblems(mutate(PR_FILE, /policyPacks: dist\/policies/g, "policyPacks: policy"))).toContain(
      "preview-prod: policy pack policy has no PulumiPolicy.yaml",
    );
  });

  it("running the CLI before npm ci", () => {
    expect(installOrderProblems(mutate(DEPLOY_FILE, /^ *- run: npm ci\n/gm, ""))).toContain(
      "up-dev: step 2 runs before npm ci",
    );
  });

  it("previews that forks or environments would reach, a missing comment, a missing stack", () => {
    const unguarded = mutate(
      PR_FILE,
      /^( {4}if: github\.event\.pull_request\.head\.repo\.full_name.*\n)/m,
      "",
    );
    expect(pullRequestProblems(unguarded)).toEqual(["preview-dev: logs in but is not skipped for fork PRs"]);
    const inProd = mutate(
      PR_FILE,
      "    name: pulumi preview (prod)\n",
      "    name: pulumi preview (prod)\n    environment: prod\n",
    );
    expect(pullRequestProblems(inProd)).toEqual([
      "preview-prod: a PR job must not use an environment (its OIDC subject would be the deploy one)",
    ]);
    expect(
      pullRequestProblems(
        mutate(PR_FILE, /comment-on-pr: true(?![\s\S]*comment-on-pr)/, "comment-on-pr: false"),
      ),
    ).toEqual(["preview-prod: preview without comment-on-pr: true"]);
    expect(
      pullRequestProblems(mutate(PR_FILE, "cancel-in-progress: true", "cancel-in-progress: false")),
    ).toEqual(["a newer push must cancel the older run of the same PR (concurrency)"]);
    expect(pullRequestProblems(mutate(PR_FILE, "stack: [dev, staging, prod]", "stack: [dev, prod]"))).toEqual(
      ["airflow-secrets check runs for [dev,prod], the stacks are [dev,prod,staging]"],
    );
  });

  it("a lint step that is not the hook", () => {
    expect(lintDagsProblems(mutate(PR_FILE, "id: airflow-secrets-lint-dags", "id: lint"))).toEqual([
      "lint-dags step id lint is no hook id of .pre-commit-hooks.yaml",
    ]);
    expect(lintDagsProblems(mutate(PR_FILE, "DAGS_PATH: dags/", "DAGS_PATH: airflow/"))).toEqual([
      "DAGS_PATH airflow/ is outside the hook's files pattern (^|/)dags/",
    ]);
  });

  it("deploys out of order, outside their environment, cancellable or ungated", () => {
    expect(deployProblems(mutate(DEPLOY_FILE, "needs: up-staging", "needs: up-dev"))).toEqual([
      "up-prod: needs [up-dev], expected [up-staging]",
    ]);
    expect(deployProblems(mutate(DEPLOY_FILE, "environment: prod", "environment: production"))).toEqual([
      "up-prod: updates prod in environment production",
    ]);
    expect(
      deployProblems(
        mutate(
          DEPLOY_FILE,
          /cancel-in-progress: false(?![\s\S]*cancel-in-progress)/,
          "cancel-in-progress: true",
        ),
      ),
    ).toEqual(["up-prod: needs a per-stack concurrency group without cancel-in-progress"]);
    expect(deployProblems(mutate(DEPLOY_FILE, "check --stack prod", "check --stack staging"))).toEqual([
      "up-prod: no airflow-secrets check --stack prod before up",
    ]);
    expect(deployProblems(mutate(DEPLOY_FILE, "branches: [main]", "branches: [main, release]"))).toEqual([
      "deploys must be triggered by a push to main only",
    ]);
  });

  it("prod deploying as a role the stack does not trust, a PR job with a deploy role", () => {
    const pr = load(PR_FILE);
    expect(
      deployRoleProblems(mutate(DEPLOY_FILE, "role/platform-pulumi-deployer", "role/admin"), pr),
    ).toEqual([
      "prod deploys as [arn:aws:iam::123456789012:role/admin], the stack's deployerRoleArns are [arn:aws:iam::123456789012:role/platform-pulumi-deployer]",
    ]);
    const prWithDeployRole = mutate(
      PR_FILE,
      "role/airflow-secrets-preview-prod",
      "role/platform-pulumi-deployer",
    );
    expect(deployRoleProblems(load(DEPLOY_FILE), prWithDeployRole)).toEqual([
      "preview-prod: a PR job assumes the deploy role arn:aws:iam::123456789012:role/platform-pulumi-deployer",
    ]);
  });
});
