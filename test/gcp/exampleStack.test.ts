/** The checked-in example stack synthesises offline, and its defaults are the production ones. */
import { spawnSync } from "child_process";
import * as path from "path";
import { findProject } from "../../cli/synth/stackFile";
import { synthesize } from "../../cli/synth/synth";
import { defaultNextRotationTime, ROTATION_ANCHOR } from "../../components/gcp/settings";

const ROOT = path.resolve(__dirname, "../..");

describe("stacks/examples/Pulumi.prod-gcp.yaml", () => {
  it("synthesises with protected keys, wrapped secrets and a rotator", async () => {
    const result = await synthesize({
      project: findProject(ROOT),
      stack: "prod-gcp",
      configFile: path.join(ROOT, "stacks/examples/Pulumi.prod-gcp.yaml"),
    });
    const types = (type: string) => result.resources.filter((r) => r.type === type);
    expect(
      types("gcp:secretmanager/secret:Secret")
        .map((r) => (r.inputs as { secretId: string }).secretId)
        .sort(),
    ).toEqual([
      "airflow-prod-config-fernet_key",
      "airflow-prod-connections-slack_alerts",
      "airflow-prod-connections-warehouse",
      "airflow-prod-connections-warehouse_admin",
      "airflow-prod-variables-alert_email",
      "airflow-prod-variables-gcs_landing_bucket",
    ]);
    for (const version of types("gcp:secretmanager/secretVersion:SecretVersion"))
      expect((version.inputs as { secretData: string }).secretData).toBe("[secret]");
    for (const key of types("gcp:kms/cryptoKey:CryptoKey"))
      expect(key.options).toEqual({ protect: true, retainOnDelete: true });
    expect(types("gcp:cloudfunctionsv2/function:Function")).toHaveLength(1);
    expect(JSON.stringify(result.resources)).not.toContain("replace-with-pulumi-config-set-secret");
    expect(result.outputs.rotationTopic).toBe("projects/acme-data-prod/topics/airflow-prod-secret-rotation");
    expect(result.airflowConfig?.env.AIRFLOW__SECRETS__BACKEND).toBe(
      "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend",
    );
  });

  it("passes the production policy pack (CMEK, key rotation, protection, rotation cadence, audit)", () => {
    const run = spawnSync(
      process.execPath,
      [
        path.join(ROOT, "bin/airflow-secrets.js"),
        "check",
        "--config-file",
        "stacks/examples/Pulumi.prod-gcp.yaml",
      ],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    expect(run.stdout).toMatch(/Result: PASS/);
    expect(run.status).toBe(0);
  });
});

describe("default rotation slots", () => {
  it("are anchored slots of the period, at least an hour ahead, and stable within a period", () => {
    const day = 86_400;
    const now = new Date("2026-11-23T16:00:00Z");
    const slot = defaultNextRotationTime(30 * day, now);
    const at = Date.parse(slot);
    expect(at).toBeGreaterThanOrEqual(now.getTime() + 3_600_000);
    expect(at - now.getTime()).toBeLessThanOrEqual(30 * day * 1000 + 3_600_000);
    expect((at - ROTATION_ANCHOR) % (30 * day * 1000)).toBe(0);
    expect(slot).toMatch(/T03:00:00Z$/);
    expect(defaultNextRotationTime(30 * day, new Date(now.getTime() + 86_400_000))).toBe(slot);
    // Hourly rotation: the next whole hour slot after now + 1h.
    expect(defaultNextRotationTime(3600, now)).toBe("2026-11-23T17:00:00Z");
  });
});
