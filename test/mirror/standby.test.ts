/**
 * The standby backend (`mirror:`): planned by its own backend from the same declarations, through the
 * same parse → plan → resolve as the primary. Its plan passes the conformance oracle (Airflow's reading
 * code in test/support/airflow_semantics.py) for every ordered pair of backends, its problems are
 * named under `mirror.` before anything is registered, and it never rotates.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "../../cli/synth/mockRuntime";
import { checkStackFileSecrets } from "../../cli/synth/stackFileSecrets";
import { Problems, SecretsDeclarations, SecretsPlan, ValidationError } from "../../components/airflow";
import { BACKEND_NAMES } from "../../components/core/stackSchema";
import {
  AirflowSecretsEnvironment,
  AirflowSecretsEnvironmentConfigArgs,
  prepareEnvironment,
} from "../../components/environment";
import { standbyDeclarations } from "../../components/mirror";
import { environmentArgsFromValues } from "../../stacks/config";
import { askLookups, differences, lookupRequests, storedValues } from "../fidelity/matrix";
import { SHIPPED_STACK_BY_BACKEND, stackFileValues } from "../support/stackValues";

const session = installMocks({ project: "airflow-secrets", stack: "standby" });

/** One shipped stack file per backend: its declarations and its backend's settings. */
const SHIPPED = SHIPPED_STACK_BY_BACKEND;
const stackValues = (backend: string) => stackFileValues(SHIPPED[backend]);

/** A backend's shipped settings as a standby's: without rotation settings (a standby rotates nothing). */
function standbySettings(backend: string): Record<string, unknown> {
  const settings = { ...(stackValues(backend)[backend] as Record<string, unknown>) };
  if (backend === "aws") delete settings.rotation;
  return settings;
}

function withMirror(primary: string, standby: string, settings = standbySettings(standby)) {
  return environmentArgsFromValues({
    ...stackValues(primary),
    mirror: { backend: standby, [standby]: settings },
  });
}

const PAIRS = BACKEND_NAMES.flatMap((primary) =>
  BACKEND_NAMES.filter((standby) => standby !== primary).map((standby) => [primary, standby] as const),
);

test("every ordered pair of backends is covered", () => {
  expect(PAIRS).toHaveLength(BACKEND_NAMES.length * (BACKEND_NAMES.length - 1));
  expect(Object.keys(SHIPPED).sort()).toEqual([...BACKEND_NAMES].sort());
});

interface Checked {
  standby: string;
  /** What differs between the declarations and what Airflow read, per side. */
  primary: string[];
  mirror: string[];
  /** Secrets each side's plan stored (so an empty plan cannot pass). */
  stored: [number, number];
}

const checked = new Map<string, Checked>();

// Every pair's two plans are read back in one oracle run (one Python process for all of them).
beforeAll(async () => {
  const jobs: Array<{
    key: string;
    side: "primary" | "mirror";
    line: string;
    plan: SecretsPlan;
    declarations: SecretsDeclarations;
  }> = [];
  for (const [primary, standby] of PAIRS) {
    const args = withMirror(primary, standby);
    const problems = new Problems();
    const prepared = prepareEnvironment(args, problems);
    if (!problems.empty)
      throw new Error(`${primary} + ${standby}: ${problems.list.map((p) => p.path).join(", ")}`);
    const mirror = prepared!.mirror!;
    // Airflow never reads a rotation master (it is stored for the rotator alone): not on either side.
    const masters = new Set(
      (args.declarations.connections ?? []).flatMap((c) => c.rotation?.masterConnId ?? []),
    );
    const readable = {
      ...args.declarations,
      connections: (args.declarations.connections ?? []).filter((c) => !masters.has(c.conn_id)),
    };
    const key = `${primary}>${standby}`;
    checked.set(key, { standby: mirror.backend.name, primary: [], mirror: [], stored: [0, 0] });
    const line = args.airflow.version;
    jobs.push({ key, side: "primary", line, plan: prepared!.resolved.plan, declarations: readable });
    jobs.push({
      key,
      side: "mirror",
      line,
      plan: mirror.resolved.plan,
      declarations: standbyDeclarations(args.declarations),
    });
  }
  const requests = [];
  for (const job of jobs) {
    const stored = await storedValues({ ...job.plan, valuesByName: () => knownValues(job.plan) } as never);
    const cell = {
      backend: job.plan.profile.kind,
      format: job.plan.airflowConfig.connectionFormat,
      line: job.line,
    };
    requests.push(lookupRequests(cell, job.plan, stored, job.declarations)[0]);
  }
  const answers = askLookups(requests);
  jobs.forEach((job, i) => {
    const entry = checked.get(job.key)!;
    entry[job.side] = differences(job.plan, job.declarations, answers[i]);
    entry.stored[job.side === "primary" ? 0 : 1] = job.plan.secrets.length;
  });
}, 120000);

describe.each(PAIRS)("primary %s, standby %s", (primary, standby) => {
  it("the standby's plan is read back by Airflow exactly as declared, like the primary's", () => {
    const entry = checked.get(`${primary}>${standby}`)!;
    expect(entry.standby).toBe(standby);
    expect(entry.stored[0]).toBeGreaterThan(0);
    expect(entry.stored[1]).toBeGreaterThan(0);
    expect(entry.primary).toEqual([]);
    expect(entry.mirror).toEqual([]);
  });
});

/** The plan's values known now (every declared one here: shipped files hold no resource outputs). */
function knownValues(plan: SecretsPlan) {
  // The Fernet key resolves when the environment builds it; the declarations checked are the file's.
  const values = plan.secrets.filter((s) => s.knownBytes !== undefined);
  return pulumi
    .all(values.map((s) => s.value))
    .apply((all) => Object.fromEntries(values.map((s, i) => [s.name, all[i]])));
}

describe("the standby never rotates", () => {
  const rotated: SecretsDeclarations = stackValues("aws").connections
    ? { connections: stackValues("aws").connections as never }
    : {};

  it("the shipped AWS stack has a rotated connection and its master (so this test has something to drop)", () => {
    const connections = rotated.connections ?? [];
    expect(connections.some((c) => c.rotation?.strategy === "alternating-users")).toBe(true);
  });

  it("stores rotated connections without rotation and leaves rotation masters out", () => {
    const masters = new Set(
      (rotated.connections ?? []).flatMap((c) => (c.rotation?.masterConnId ? [c.rotation.masterConnId] : [])),
    );
    expect(masters.size).toBeGreaterThan(0);
    const stored = standbyDeclarations(rotated).connections ?? [];
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.filter((c) => c.rotation !== undefined)).toEqual([]);
    expect(stored.filter((c) => masters.has(c.conn_id))).toEqual([]);
    expect(stored.length).toBe((rotated.connections ?? []).length - masters.size);
  });

  it("an AWS standby's rotation settings are refused under mirror.", () => {
    const problems = new Problems();
    prepareEnvironment(
      withMirror("vault", "aws", stackValues("aws").aws as Record<string, unknown>),
      problems,
    );
    expect(problems.list.map((p) => p.path)).toContain(
      "mirror.aws.rotation.createSecretsManagerEndpointInVpc",
    );
  });
});

describe("bad standbys are refused under mirror., before anything is registered", () => {
  function problemsOf(args: AirflowSecretsEnvironmentConfigArgs): Array<{ path: string; rule: string }> {
    try {
      AirflowSecretsEnvironment.fromConfig("bad", args);
    } catch (error) {
      if (error instanceof ValidationError) return [...error.problems];
      throw error;
    }
    throw new Error("accepted");
  }

  it("names every problem of the standby at once, each under mirror.", () => {
    const args = withMirror("vault", "gcp", { ...standbySettings("gcp"), locations: "europe-west1" });
    // Valid for Vault's paths, not for a GCP secret id: the standby's naming rule refuses it.
    args.declarations.connections = [
      ...(args.declarations.connections ?? []),
      { conn_id: "reports.eu", conn_type: "http", host: "reports.example.com" },
    ];
    const problems = problemsOf(args);
    expect(problems.length).toBeGreaterThanOrEqual(2);
    for (const p of problems) expect(p.path).toMatch(/^mirror\./);
    expect(problems.map((p) => p.path)).toContain("mirror.gcp.locations");
    expect(
      problems.some(
        (p) =>
          p.path.startsWith("mirror.connections") && /reports\.eu|GCP|Secret Manager/.test(p.path + p.rule),
      ),
    ).toBe(true);
    for (const p of problems) expect(p.rule).not.toContain("[secret]");
  });

  it("refuses the primary's own backend as its standby, and an unknown one", () => {
    expect(problemsOf(withMirror("vault", "vault", standbySettings("vault"))).map((p) => p.path)).toEqual([
      "mirror.backend",
    ]);
    expect(() => withMirror("vault", "consul" as never, {})).toThrow(/mirror/);
  });

  it("a mirror block of the wrong shape names mirror", () => {
    for (const value of ["aws", 7, ["aws"], { backend: "aws", gcp: {} }, { aws: {} }]) {
      let error: unknown;
      try {
        environmentArgsFromValues({ ...stackValues("vault"), mirror: value });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).problems.map((p) => p.path);
      expect(paths.length).toBeGreaterThan(0);
      for (const at of paths) expect(at).toMatch(/^mirror/);
    }
  });

  it("registered nothing", async () => {
    await session.settle();
    expect(session.resources).toEqual([]);
    // The same session records a valid environment with a standby: both backends' components.
    AirflowSecretsEnvironment.fromConfig("ok", withMirror("vault", "aws"));
    await session.settle();
    const types = new Set(session.resources.map((r) => r.type));
    expect(types).toContain("airflow-secrets:vault:VaultAirflowSecrets");
    expect(types).toContain("airflow-secrets:aws:AwsAirflowSecrets");
  });
});

describe("a production stack file's standby is held to its backend's secret fields", () => {
  it("a plaintext password in the standby's settings is refused, a secure one is not", () => {
    const config = (password: unknown): Record<string, unknown> => ({
      "airflow-secrets:environment": "prod",
      "airflow-secrets:backend": "aws",
      "airflow-secrets:mirror": {
        backend: "vault",
        vault: { address: "https://vault:8200", database: { mount: "database", password } },
      },
    });
    const plaintext = new Problems();
    checkStackFileSecrets(config("hunter2"), "airflow-secrets", plaintext);
    expect(plaintext.list.map((p) => p.path)).toEqual(["airflow-secrets:mirror.vault.database.password"]);
    expect(plaintext.list[0].rule).not.toContain("hunter2");
    const secure = new Problems();
    checkStackFileSecrets(config({ secure: "v1:EXAMPLE:x" }), "airflow-secrets", secure);
    expect(secure.list).toEqual([]);
  });
});
