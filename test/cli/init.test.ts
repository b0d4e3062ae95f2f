/**
 * `airflow-secrets init` for every backend, in process: the scaffold's dev stack synthesizes and passes
 * the policy pack, its prod stack synthesizes, every stack file names the provider configuration a real
 * `pulumi up` needs (an explicit Kubernetes context above all), and the workflows are parameterised for
 * the repository (project, stacks, policy pack path, paths filters) rather than for this one.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { main } from "../../cli/main";
import { BACKENDS, POLICY_PACK_PATH } from "../../cli/init";
import { PROVIDER_SETTINGS } from "../../cli/init/stacks";

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { status, stdout, stderr };
}

const scaffolds = new Map<string, string>();
async function scaffold(backend: string): Promise<string> {
  if (!scaffolds.has(backend)) {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "init-")), `warehouse-${backend}`);
    const ran = await cli(
      "init",
      "--backend",
      backend,
      "--dir",
      dir,
      "--repository",
      "acme/warehouse-secrets",
    );
    expect({ status: ran.status, stderr: ran.stderr }).toEqual({ status: 0, stderr: "" });
    scaffolds.set(backend, dir);
  }
  return scaffolds.get(backend)!;
}

describe.each(BACKENDS.map((b) => [b]))("init --backend %s", (backend) => {
  it("writes a dev stack that synthesizes and passes check", async () => {
    const dir = await scaffold(backend);
    const synth = await cli("synth", "--cwd", dir, "--stack", "dev", "--json");
    expect({ status: synth.status, stderr: synth.stderr }).toEqual({ status: 0, stderr: "" });
    expect(JSON.parse(synth.stdout)).toMatchObject({ stack: "dev", outputs: { backend } });
    const check = await cli("check", "--cwd", dir, "--stack", "dev");
    expect(check.stdout).toMatch(/Result: PASS/);
    expect(check.status).toBe(0);
  });

  it("writes a prod stack that synthesizes", async () => {
    const dir = await scaffold(backend);
    const synth = await cli("synth", "--cwd", dir, "--stack", "prod", "--json");
    expect({ status: synth.status, stderr: synth.stderr }).toEqual({ status: 0, stderr: "" });
    expect(JSON.parse(synth.stdout).outputs).toMatchObject({ backend, environment: "prod" });
  });

  it("names the provider configuration of each stack, the Kubernetes context first", async () => {
    const dir = await scaffold(backend);
    const settings = PROVIDER_SETTINGS[backend];
    expect(settings[0].key).toBe("kubernetes:context");
    const readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
    for (const environment of ["dev", "prod"]) {
      const config = (
        parse(fs.readFileSync(path.join(dir, "stacks", `Pulumi.${environment}.yaml`), "utf8")) as {
          config: Record<string, unknown>;
        }
      ).config;
      expect(config["airflow-secrets:backend"]).toBe(backend);
      expect(config["airflow-secrets:environment"]).toBe(environment);
      for (const setting of settings) {
        expect(config[setting.key]).toBe(setting.value(environment as "dev" | "prod"));
        expect(readme).toContain(`\`${setting.key}\``);
      }
    }
  });

  it("parameterises the workflows for the repository", async () => {
    const dir = await scaffold(backend);
    const project = `warehouse-${backend}`;
    const pr = parse(fs.readFileSync(path.join(dir, ".github/workflows/pull-request.yml"), "utf8"));
    const deploy = parse(fs.readFileSync(path.join(dir, ".github/workflows/deploy.yml"), "utf8"));
    expect(parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")).name).toBe(project);
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(deploy.on.push.paths).toEqual(
      expect.arrayContaining(["stacks/**", "Pulumi.yaml", "package-lock.json"]),
    );
    expect(pr.on.pull_request.paths).toEqual(expect.arrayContaining(["stacks/**", "dags/**"]));
    expect(pr.jobs.check.strategy.matrix.stack).toEqual(["dev", "prod"]);
    const pulumiSteps = [...Object.values(pr.jobs), ...Object.values(deploy.jobs)].flatMap((job) =>
      ((job as { steps: Array<{ uses?: string; with?: Record<string, string> }> }).steps ?? []).filter((s) =>
        s.uses?.startsWith("pulumi/actions@"),
      ),
    );
    expect(pulumiSteps).toHaveLength(4);
    for (const step of pulumiSteps) {
      expect(step.with!.policyPacks).toBe(POLICY_PACK_PATH);
      expect(step.with!["stack-name"]).toMatch(
        new RegExp(`^\\$\\{\\{ env.PULUMI_ORG \\}\\}/${project}/(dev|prod)$`),
      );
    }
    expect(Object.keys(deploy.jobs)).toEqual(["up-dev", "up-prod"]);
    expect(deploy.jobs["up-prod"].needs).toBe("up-dev");
    expect(deploy.jobs["up-prod"].environment).toBe("prod");
  });
});

it("the pre-commit config runs the installed lint-dags on DAG files", async () => {
  const dir = await scaffold("env");
  const config = parse(fs.readFileSync(path.join(dir, ".pre-commit-config.yaml"), "utf8"));
  expect(config.repos[0].hooks[0]).toMatchObject({
    id: "airflow-secrets-lint-dags",
    entry: "npx --no-install airflow-secrets lint-dags",
    types: ["python"],
  });
});
