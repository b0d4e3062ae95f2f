/**
 * The env backend's rules live in `resolve`, which is pure: these run without Pulumi's mock runtime,
 * where registering any resource would throw, so a passing call also proves nothing was registered.
 */
import { Problems, SecretsDeclarations, tryPlanSecrets } from "../../components/airflow";
import { BackendContext, prepareBackend } from "../../components/backend";
import { envBackend } from "../../components/env";
import { SECRET_MAX_BYTES } from "../../components/env/backend";
import { ENVIRONMENT_LABEL } from "../../components/core/labels";

const MARKER = "hunter2-MARKER-env-resolve";

function contextWith(declarations: SecretsDeclarations, owner?: string): BackendContext {
  return {
    environment: "dev",
    production: false,
    owner,
    declarations,
    airflow: { version: "2.10" },
    kubernetes: { namespace: "airflow-dev", serviceAccount: "airflow" },
    now: new Date("2026-12-01T00:00:00Z"),
  };
}

const declarations: SecretsDeclarations = {
  connections: [{ conn_id: "warehouse", conn_type: "postgres", host: "db", password: MARKER }],
  variables: [{ key: "alert_email", value: "alerts@example.com" }],
};

function prepare(settings: unknown, context = contextWith(declarations, "data-platform")) {
  const problems = new Problems();
  const resolved = prepareBackend(envBackend, context, settings, problems);
  return { resolved, problems: problems.list.map((p) => `${p.path}: ${p.rule}`) };
}

/** `count` variables of `bytes` bytes each, named v0, v1… */
const bigVariables = (count: number, bytes: number): SecretsDeclarations => ({
  variables: Array.from({ length: count }, (_, i) => ({ key: `v${i}`, value: "x".repeat(bytes) })),
});

describe("env backend resolve", () => {
  it("resolves the defaults: Secret name, namespace, labels and the one plan", () => {
    const { resolved, problems } = prepare({});
    expect(problems).toEqual([]);
    expect(resolved).toMatchObject({
      secretName: "airflow-dev-secrets",
      namespace: "airflow-dev",
      labels: { [ENVIRONMENT_LABEL]: "dev", owner: "data-platform", "managed-by": "airflow-secrets" },
    });
    expect(resolved!.plan.profile.kind).toBe("env");
    expect(resolved!.plan.secrets.map((s) => s.name)).toEqual([
      "AIRFLOW_CONN_WAREHOUSE",
      "AIRFLOW_VAR_ALERT_EMAIL",
    ]);
  });

  it("is pure: the same input gives the same output, and the input is not changed", () => {
    const context = contextWith(declarations, "data-platform");
    const snapshot = JSON.stringify(context);
    const plan = tryPlanSecrets(envBackend.planArgs(context, {}), new Problems());
    expect(plan).toBeDefined();
    const input = { context, settings: { secretName: "airflow-secrets" }, complete: true, plan };
    const first = envBackend.resolve(input, new Problems());
    const second = envBackend.resolve(input, new Problems());
    expect(first).toBeDefined();
    expect(second).toEqual(first);
    expect(second!.plan).toBe(plan);
    expect(JSON.stringify(context)).toBe(snapshot);
  });

  it("reports a bad Secret name, an unknown key and a bad declaration in one run, by field path", () => {
    const { resolved, problems } = prepare(
      { secretName: `Bad_${MARKER}`, secretNmae: "x" },
      contextWith({ connections: [{ conn_id: "a.b", conn_type: "http", password: MARKER }] }),
    );
    expect(resolved).toBeUndefined();
    const paths = problems.map((p) => p.split(": ")[0]);
    expect(paths).toEqual(
      expect.arrayContaining(["env.secretName", "env.secretNmae", "connections[a.b].conn_id"]),
    );
    expect(problems.find((p) => p.startsWith("env.secretName"))).toMatch(/must be a Kubernetes object name/);
    expect(problems.join("\n")).not.toContain(MARKER);
  });

  it("refuses an owner that cannot be a Kubernetes label value, at owner", () => {
    const { resolved, problems } = prepare({}, contextWith(declarations, "Data Platform team"));
    expect(resolved).toBeUndefined();
    expect(problems).toEqual([
      expect.stringMatching(/^owner: becomes a label of the env backend's Kubernetes Secret/),
    ]);
  });

  it("refuses a Secret over 1 MiB at its largest entry, before anything exists, without a value", () => {
    const declarations = bigVariables(2, 600 * 1024);
    declarations.variables![1].value = MARKER + declarations.variables![1].value;
    const { resolved, problems } = prepare({}, contextWith(declarations));
    expect(resolved).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^variables\[v1\]\.value: the env backend's Kubernetes Secret would hold at least \d+ bytes .*Kubernetes allows 1048576 \(1 MiB\)/,
    );
    expect(problems[0]).not.toContain(MARKER);
  });

  it("accepts a Secret of exactly 1 MiB (names included) and refuses one byte more", () => {
    const names = "AIRFLOW_VAR_V0".length + "AIRFLOW_VAR_V1".length;
    const half = (SECRET_MAX_BYTES - names) / 2;
    expect(Number.isInteger(half)).toBe(true);
    const atLimit = bigVariables(2, half);
    expect(prepare({}, contextWith(atLimit)).problems).toEqual([]);
    atLimit.variables![0].value += "x";
    expect(prepare({}, contextWith(atLimit)).problems).toEqual([
      expect.stringMatching(/^variables\[v0\]\.value: .*at least 1048577 bytes/),
    ]);
  });
});
