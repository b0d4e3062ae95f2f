/**
 * The command's surface, in process through `main(argv, io)`: help on stdout with exit 0 for every
 * command and spelling, misuse on stderr with exit 2 (every command × every kind of bad option),
 * --version, and which modules a command loads. One spawned run checks the real process: exit status
 * and output survive the process ending.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../cli/main";
import { COMMAND_USAGE, MAIN_USAGE } from "../../cli/usage";

const ROOT = path.resolve(__dirname, "../..");
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string })
  .version;
const COMMANDS = Object.keys(COMMAND_USAGE);

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { status, stdout, stderr };
}

describe("help and version", () => {
  it("lists every command in the main usage", () => {
    expect(COMMANDS).toEqual([
      "init",
      "synth",
      "check",
      "lint-dags",
      "import",
      "inventory",
      "rotate-now",
      "revoke",
      "verify",
    ]);
    for (const command of COMMANDS) expect(MAIN_USAGE).toContain(`  ${command} `);
  });

  it.each([["--help"], ["-h"], ["help"]])("%s prints the main usage on stdout, exit 0", async (flag) => {
    expect(await cli(flag)).toEqual({ status: 0, stdout: `${MAIN_USAGE}\n`, stderr: "" });
  });

  const helpCases = COMMANDS.flatMap((command) =>
    [["--help"], ["-h"], ["--stack", "dev", "--help"], ["--bogus", "-h"]].map(
      (args) => [command, args] as const,
    ),
  );
  it.each(helpCases)("%s %j prints the command's usage on stdout, exit 0", async (command, args) => {
    expect(await cli(command, ...args)).toEqual({
      status: 0,
      stdout: `${COMMAND_USAGE[command]}\n`,
      stderr: "",
    });
  });

  it("help COMMAND prints that command's usage", async () => {
    for (const command of COMMANDS)
      expect(await cli("help", command)).toEqual({
        status: 0,
        stdout: `${COMMAND_USAGE[command]}\n`,
        stderr: "",
      });
  });

  it.each([["--version"], ["-V"], ["version"]])("%s prints the package version", async (flag) => {
    expect(await cli(flag)).toEqual({ status: 0, stdout: `airflow-secrets ${VERSION}\n`, stderr: "" });
  });
});

describe("misuse: stderr, exit 2, nothing on stdout", () => {
  it("no command or an unknown one", async () => {
    for (const argv of [[], ["bogus"], ["--bogus"], ["-x"]]) {
      const ran = await cli(...argv);
      expect({ argv, status: ran.status, stdout: ran.stdout }).toEqual({ argv, status: 2, stdout: "" });
      expect(ran.stderr).toContain(MAIN_USAGE);
    }
  });

  // Every command, every kind of bad option: unknown flag, value missing, value given to a switch.
  const misuse: Record<string, string[][]> = {
    init: [["--bogus"], ["--backend"], ["--backend", "consul"], ["--dir"], ["extra"], ["--name", "bad name"]],
    synth: [["--bogus"], ["--stack"], ["--stack", "dev", "--json=yes"], [], ["--stack", "dev", "extra"]],
    check: [["--bogus"], ["--stack"], ["--stack", "dev", "--json=yes"], [], ["--stack", "dev", "extra"]],
    "lint-dags": [["--bogus", "dags"], ["--format"], ["--format", "xml", "dags"], []],
    import: [["--bogus", "x.json"], ["--stack"], [], ["--stack", "dev"]],
    inventory: [["--bogus"], ["--stack"], [], ["--stack", "dev", "--format", "xml"]],
    "rotate-now": [
      ["--bogus"],
      ["--stack"],
      [],
      ["--stack", "dev"],
      ["--stack", "dev", "--conn", "warehouse", "--all-rotated"],
      ["--stack", "dev", "--all-rotated=yes"],
      ["--stack", "dev", "--conn", "warehouse", "--timeout", "soon"],
    ],
    revoke: [["--bogus"], ["--stack"], [], ["--stack", "dev", "--undo=yes"], ["--stack", "dev", "extra"]],
    verify: [
      ["--bogus"],
      ["--stack"],
      [],
      ["--stack", "dev", "--json=yes"],
      ["--stack", "dev", "--via", "standby"],
    ],
  };
  it("covers every command", () => expect(Object.keys(misuse).sort()).toEqual([...COMMANDS].sort()));
  const cases = Object.entries(misuse).flatMap(([command, list]) =>
    list.map((args) => [command, args] as const),
  );
  it.each(cases)("%s %j", async (command, args) => {
    const ran = await cli(command, ...args);
    expect({ status: ran.status, stdout: ran.stdout }).toEqual({ status: 2, stdout: "" });
    expect(ran.stderr).toMatch(/^(error|airflow-secrets lint-dags): /);
    expect(ran.stderr).toContain(COMMAND_USAGE[command]);
  });
});

describe("init", () => {
  it("refuses to overwrite: if any file exists, nothing is written", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "init-"));
    fs.mkdirSync(path.join(dir, "stacks"));
    fs.writeFileSync(path.join(dir, "stacks", "Pulumi.prod.yaml"), "mine\n");
    const ran = await cli("init", "--dir", dir, "--name", "platform");
    expect(ran.status).toBe(1);
    expect(ran.stderr).toBe(
      "error: not overwriting existing file: stacks/Pulumi.prod.yaml; nothing was written\n",
    );
    expect(fs.readdirSync(dir)).toEqual(["stacks"]);
    expect(fs.readFileSync(path.join(dir, "stacks", "Pulumi.prod.yaml"), "utf8")).toBe("mine\n");
  });
});

describe("what each command loads", () => {
  /** Runs main in a fresh process (sources through ts-node) and lists the modules it loaded. */
  function loaded(argv: string[]): string[] {
    const script = `
      require("ts-node").register({ transpileOnly: true, project: ${JSON.stringify(path.join(ROOT, "tsconfig.json"))} });
      const { main } = require(${JSON.stringify(path.join(ROOT, "cli", "main.ts"))});
      main(${JSON.stringify(argv)}, { stdout: () => {}, stderr: () => {} }).then((code) => {
        process.stdout.write(JSON.stringify({ code, modules: Object.keys(require.cache) }));
      });`;
    const ran = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(ran.stderr).toBe("");
    const { modules } = JSON.parse(ran.stdout) as { modules: string[] };
    expect(modules.length).toBeGreaterThan(0);
    return modules;
  }
  const pulumi = (modules: string[]) => modules.filter((m) => m.includes(`${path.sep}@pulumi${path.sep}`));

  it("--help, command help, init and lint-dags never load Pulumi", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "init-"));
    for (const argv of [
      ["--help"],
      ["synth", "--help"],
      ["check", "-h"],
      ["init", "--dir", dir],
      ["lint-dags", path.join(ROOT, "test", "fixtures", "dags")],
    ])
      expect({ argv, pulumi: pulumi(loaded(argv)) }).toEqual({ argv, pulumi: [] });
  });

  it("synth loads Pulumi (the probe can see it) but not the policy pack", () => {
    const modules = loaded(["synth", "--stack", "dev"]);
    expect(pulumi(modules).length).toBeGreaterThan(0);
    expect(modules.filter((m) => m.includes(`${path.sep}policies${path.sep}`))).toEqual([]);
  });
});

describe("the real process", () => {
  it("bin/airflow-secrets.js sets the exit status and lets output drain", () => {
    const bin = path.join(ROOT, "bin", "airflow-secrets.js");
    const help = spawnSync(process.execPath, [bin, "lint-dags", "--help"], { encoding: "utf8" });
    expect([help.status, help.stdout, help.stderr]).toEqual([0, `${COMMAND_USAGE["lint-dags"]}\n`, ""]);
    const json = spawnSync(process.execPath, [bin, "synth", "--stack", "dev", "--json"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(json.stderr).toBe("");
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout).stack).toBe("dev");
    const misuse = spawnSync(process.execPath, [bin, "synth"], { encoding: "utf8" });
    expect([misuse.status, misuse.stdout]).toEqual([2, ""]);
  });
});
