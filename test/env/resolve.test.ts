/**
 * The env backend's rules live in `resolve`, which is pure: these run without Pulumi's mock runtime,
 * where registering any resource would throw, so a passing call also proves nothing was registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { Problems, SecretsDeclarations, tryPlanSecrets } from "../../components/airflow";
import { BackendContext, prepareBackend } from "../../components/backend";
import { envBackend } from "../../components/env";
import { SECRET_MAX_BYTES, UNKNOWN_VALUE_BYTES } from "../../components/env/shards";
import { ENVIRONMENT_LABEL } from "../../components/core/labels";
import { manyPostgresConnections } from "./manyConnections";

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
      shards: [
        {
          index: 0,
          secretName: "airflow-dev-secrets",
          variableNames: ["AIRFLOW_CONN_WAREHOUSE", "AIRFLOW_VAR_ALERT_EMAIL"],
        },
      ],
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

  it("refuses a value that cannot fit any Secret at its field, before anything exists, without the value", () => {
    const declarations = bigVariables(2, 10);
    // Under the contract's 1 MiB per value, over it with the variable's name.
    declarations.variables![1].value = MARKER + "x".repeat(SECRET_MAX_BYTES - MARKER.length - 5);
    const { resolved, problems } = prepare({}, contextWith(declarations));
    expect(resolved).toBeUndefined();
    expect(problems).toEqual([
      expect.stringMatching(
        /^variables\[v1\]\.value: holds \d+ bytes with its variable name; one Kubernetes Secret allows 1048576 \(1 MiB\)/,
      ),
    ]);
    expect(problems[0]).not.toContain(MARKER);
  });

  it("accepts an entry of exactly 1 MiB with its name, in one Secret, and refuses one byte more", () => {
    const atLimit = bigVariables(1, SECRET_MAX_BYTES - "AIRFLOW_VAR_V0".length);
    const { resolved, problems } = prepare({}, contextWith(atLimit));
    expect(problems).toEqual([]);
    expect(resolved!.shards).toEqual([
      {
        index: 0,
        secretName: "airflow-dev-secrets",
        variableNames: ["AIRFLOW_VAR_V0"],
        bytes: SECRET_MAX_BYTES,
      },
    ]);
    atLimit.variables![0].value += "x";
    expect(prepare({}, contextWith(atLimit)).problems).toEqual([
      expect.stringMatching(/^variables\[v0\]\.value: holds 1048577 bytes/),
    ]);
  });

  it("keeps one Secret up to 1 MiB in total and splits beyond it, the first keeping its name", () => {
    const names = "AIRFLOW_VAR_V0".length + "AIRFLOW_VAR_V1".length;
    const atLimit = bigVariables(2, (SECRET_MAX_BYTES - names) / 2);
    expect(prepare({}, contextWith(atLimit)).resolved!.shards.map((s) => s.secretName)).toEqual([
      "airflow-dev-secrets",
    ]);
    atLimit.variables![0].value += "x";
    const { resolved, problems } = prepare({}, contextWith(atLimit));
    expect(problems).toEqual([]);
    const shards = resolved!.shards;
    expect(shards.length).toBe(2);
    expect(shards[0].secretName).toBe("airflow-dev-secrets");
    expect(shards[1].secretName).toMatch(/^airflow-dev-secrets-\d+$/);
    expect(shards.flatMap((s) => s.variableNames).sort()).toEqual(["AIRFLOW_VAR_V0", "AIRFLOW_VAR_V1"]);
  });

  it("counts a value known only at deployment as UNKNOWN_VALUE_BYTES", () => {
    const names = "AIRFLOW_VAR_V0".length + "AIRFLOW_VAR_PENDING".length;
    const declarations = bigVariables(1, SECRET_MAX_BYTES - names - UNKNOWN_VALUE_BYTES);
    declarations.variables!.push({ key: "pending", value: pulumi.output("from another resource") });
    expect(prepare({}, contextWith(declarations)).resolved!.shards).toHaveLength(1);
    declarations.variables![0].value += "x";
    expect(prepare({}, contextWith(declarations)).resolved!.shards).toHaveLength(2);
  });

  it("resolves 10,000 connections into Secrets that each fit, every connection in one of them", () => {
    const connections = manyPostgresConnections(10_000, (i) => `password-dev-${i}-${"p".repeat(80)}`);
    const { resolved, problems } = prepare({}, contextWith({ connections }));
    expect(problems).toEqual([]);
    const shards = resolved!.shards;
    expect(shards.length).toBeGreaterThan(1);
    for (const shard of shards) expect(shard.bytes).toBeLessThanOrEqual(SECRET_MAX_BYTES);
    expect(new Set(shards.flatMap((s) => s.variableNames)).size).toBe(10_000);
  });

  it("refuses a Secret name that leaves no room for the split's suffix, at env.secretName", () => {
    const secretName = "a".repeat(253);
    const names = "AIRFLOW_VAR_V0".length + "AIRFLOW_VAR_V1".length;
    const over = bigVariables(2, (SECRET_MAX_BYTES - names) / 2 + 1);
    expect(prepare({ secretName }, contextWith(over)).problems).toEqual([
      expect.stringMatching(
        /^env\.secretName: the variables need 2 Kubernetes Secrets, the last named \{secretName\}-\d+, which must be at most 253 characters/,
      ),
    ]);
    expect(prepare({ secretName }, contextWith(bigVariables(2, 10))).problems).toEqual([]);
  });
});
