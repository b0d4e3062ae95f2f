/**
 * The GCP backend in the one backend shape: `resolve` holds every rule and is pure (same input, same
 * output, nothing registered, nothing mutated); `GcpAirflowSecrets` builds from what resolve returned
 * and checks nothing, so the declarations are validated once.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, resolveOutput } from "../../cli/synth/mockRuntime";
import { SecretsDeclarations } from "../../components/airflow";
import * as validate from "../../components/airflow/validate";
import { GcpAirflowSecrets, GcpResolved } from "../../components/gcp";
import { SECRET_TYPE, ofType, resolveGcp, rotatedWarehouse } from "./helpers";

const session = installMocks({ project: "airflow-secrets", stack: "prod" });

const NOW = new Date("2026-06-01T00:00:00Z");
const CHANNEL = "projects/acme-data-prod/notificationChannels/1";

const declarations: SecretsDeclarations = rotatedWarehouse();
const settings = {
  project: "acme-data-prod",
  locations: ["europe-west1"],
  labels: { team: "data" },
  audit: { notificationChannels: [CHANNEL] },
};

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * The resolved value with the plan's stored values read out of their Outputs and without its methods
 * (neither an Output nor a closure is equal to another call's).
 */
async function comparable(resolved: GcpResolved | undefined) {
  if (resolved === undefined) return undefined;
  const secrets = [];
  for (const secret of resolved.plan.secrets)
    secrets.push({ ...secret, value: await resolveOutput(pulumi.output(secret.value)) });
  return {
    ...resolved,
    plan: { secrets, layout: resolved.plan.layout, airflowConfig: resolved.plan.airflowConfig },
  };
}

describe("resolve", () => {
  it("is pure: frozen input, the same output twice, nothing registered", async () => {
    const input = deepFreeze({
      settings: structuredClone(settings),
      declarations: structuredClone(declarations),
    });
    const first = resolveGcp(input.settings, { declarations: input.declarations, now: NOW, owner: "data" });
    const second = resolveGcp(input.settings, { declarations: input.declarations, now: NOW, owner: "data" });
    expect(first.problems).toEqual([]);
    expect(first.resolved).toBeDefined();
    const [one, two] = [await comparable(first.resolved), await comparable(second.resolved)];
    expect(one!.plan.secrets[0].value).toEqual({
      value: expect.stringContaining('"password":"pw"'),
      secret: true,
    });
    expect(two).toEqual(one);
    // Defaults that depend on the clock come from the context's, read once by the environment.
    expect(first.resolved!.settings.rotation.schedules.warehouse.nextRotationTime).toBe(
      "2026-06-19T03:00:00Z",
    );
    expect(first.resolved!.labels).toEqual({
      team: "data",
      "managed-by": "airflow-secrets",
      "airflow-secrets-environment": "prod",
      owner: "data",
    });
    await session.settle();
    expect(session.resources).toEqual([]);
  });

  it("reports every broken rule at its field path and returns nothing", async () => {
    const { resolved, problems } = resolveGcp(
      {
        ...settings,
        labels: { "managed-by": "me" },
        audit: { enabled: false },
        kms: {
          existing: { keys: { "europe-west1": "projects/p/locations/us-east1/keyRings/r/cryptoKeys/k" } },
        },
        rotation: { connections: { warehouse: { nextRotationTime: "2026-05-01T00:00:00Z" } } },
      },
      {
        declarations: {
          ...declarations,
          connections: [{ ...declarations.connections![0], conn_type: "http" }],
        },
        now: NOW,
      },
    );
    expect(resolved).toBeUndefined();
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        "connections[warehouse].conn_type",
        "gcp.audit.enabled",
        "gcp.kms.existing.keys.europe-west1",
        "gcp.labels.managed-by",
        "gcp.rotation.connections.warehouse.nextRotationTime",
      ].sort(),
    );
    await session.settle();
    expect(session.resources).toEqual([]);
  });
});

describe("GcpAirflowSecrets", () => {
  it("builds from the resolved value without validating anything again", async () => {
    const spy = jest.spyOn(validate, "validateDeclarations");
    try {
      const { resolved } = resolveGcp(settings, { declarations, now: NOW });
      expect(spy).toHaveBeenCalledTimes(1);
      // A value resolve would refuse (production without audit): the constructor trusts resolve and
      // builds it as given, which is why every rule lives there.
      const tampered: GcpResolved = {
        ...resolved!,
        settings: { ...resolved!.settings, audit: { ...resolved!.settings.audit, enabled: false } },
      };
      const secrets = new GcpAirflowSecrets("prod-gcp", tampered);
      await session.settle();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(secrets.audit).toBeUndefined();
      expect(secrets.plan).toBe(resolved!.plan);
      expect(
        ofType(session.resources, SECRET_TYPE)
          .map((s) => s.inputs.secretId)
          .sort(),
      ).toEqual(["airflow-prod-connections-warehouse", "airflow-prod-variables-region"]);
      expect(ofType(session.resources, "gcp:logging/projectSink:ProjectSink")).toEqual([]);
      expect(Object.keys(secrets.deployment.outputs).sort()).toEqual([
        "airflowServiceAccount",
        "ciWriterServiceAccount",
        "gcpProject",
        "kmsKeys",
        "rotationTopic",
        "rotatorFunction",
        "secretIds",
      ]);
    } finally {
      spy.mockRestore();
    }
  });
});
