/**
 * Non-production defaults, bring-your-own KMS, the bucket audit sink, layout overrides and the
 * components used directly (without the environment).
 */
import { installMocks, resolveOutput } from "../../cli/synth/mockRuntime";
import { AirflowSecretsEnvironment } from "../../components/environment";
import { resolveBackendOrThrow } from "../../components/backend";
import { GcpAirflowSecrets, gcpBackend as backend } from "../../components/gcp";
import { effectiveGrants, neighbouringIds } from "./effectiveAccess";
import { SECRET_TYPE, VERSION_TYPE, ofType, one, subtree } from "./helpers";

const session = installMocks({ project: "airflow-secrets", stack: "dev" });

const BYO_KEY = "projects/acme-security/locations/us-east1/keyRings/shared/cryptoKeys/airflow";
const BYO_RING = "projects/acme-security/locations/us-west1/keyRings/shared";
let dev: AirflowSecretsEnvironment;
let direct: GcpAirflowSecrets;

beforeAll(async () => {
  dev = new AirflowSecretsEnvironment("dev", {
    environment: "dev",
    backend: "gcp",
    airflow: { version: "3.1" },
    kubernetes: { namespace: "airflow-dev", serviceAccount: "airflow-worker" },
    fernet: { generations: ["2026-q4"] },
    backendSettings: {
      project: "acme-data-dev",
      projectNumber: "555000111",
      locations: ["us-central1", "us-east1", "us-west1"],
      kms: {
        existing: { keys: { "us-east1": BYO_KEY }, keyRings: { "us-west1": BYO_RING } },
        rotationPeriod: "2592000s",
      },
      ciWriter: { manageVersions: true },
      audit: { sink: { type: "bucket", retentionDays: 14 } },
      workloadIdentityPool: "fleet-host.svc.id.goog",
      labels: { cost_center: "analytics" },
    },
    declarations: {
      connections: [{ conn_id: "api", conn_type: "http", host: "api.example.com", password: "token" }],
    },
  });
  // A TypeScript program composing the backend on its own: resolve (throws on bad input), then build.
  direct = new GcpAirflowSecrets(
    "qa-direct",
    resolveBackendOrThrow(
      backend,
      {
        environment: "qa",
        airflow: { version: "2.10" },
        kubernetes: { namespace: "airflow-qa", serviceAccount: "airflow" },
        declarations: { variables: [{ key: "region", value: "eu" }] },
      },
      {
        project: "acme-data-qa",
        locations: ["europe-west1"],
        layout: { variablesPrefix: "qa_vars", sep: "_" },
        ciWriter: { enabled: false },
        audit: { enabled: false },
      },
    ),
  );
  await resolveOutput(dev.airflowConfig.env);
  await session.settle();
});

const devResources = () => subtree(session.resources, "dev");
const directResources = () => subtree(session.resources, "qa-direct");

describe("non-production", () => {
  it("protects nothing and keeps no delayed destruction by default", () => {
    const resources = devResources();
    expect(resources.filter((r) => r.protect || r.retainOnDelete).map((r) => r.name)).toEqual([]);
    for (const secret of ofType(resources, SECRET_TYPE)) {
      expect(secret.inputs.versionDestroyTtl).toBeUndefined();
      expect(secret.inputs.deletionProtection).toBeUndefined();
    }
  });

  it("stores the Fernet key as config with Airflow 3's worker backend settings", () => {
    const config = dev.airflowConfig;
    expect(config.env.AIRFLOW__WORKERS__SECRETS_BACKEND).toBe(config.backendClass);
    expect(
      ofType(devResources(), SECRET_TYPE)
        .map((s) => s.inputs.secretId)
        .sort(),
    ).toEqual(["airflow-dev-config-fernet_key", "airflow-dev-connections-api"]);
    // No variables declared: Airflow is told not to look for any.
    expect(config.backendKwargs).toMatchObject({ variables_prefix: null, project_id: "acme-data-dev" });
  });

  it("has no rotation resources when nothing is rotated", () => {
    for (const type of [
      "gcp:pubsub/topic:Topic",
      "gcp:cloudfunctionsv2/function:Function",
      "gcp:storage/bucketObject:BucketObject",
    ]) {
      expect(ofType(devResources(), type)).toEqual([]);
    }
  });
});

describe("bring-your-own KMS", () => {
  it("uses an existing key as is, creates a key in an existing ring, and a ring and key elsewhere", () => {
    const resources = devResources();
    expect(ofType(resources, "gcp:kms/keyRing:KeyRing").map((r) => r.inputs.location)).toEqual([
      "us-central1",
    ]);
    const keys = ofType(resources, "gcp:kms/cryptoKey:CryptoKey");
    expect(keys.map((k) => k.inputs.keyRing).sort()).toEqual([
      "projects/acme-data-dev/locations/us-central1/keyRings/airflow-dev-secrets",
      BYO_RING,
    ]);
    for (const key of keys) expect(key.inputs.rotationPeriod).toBe("2592000s");
    const expected: Record<string, string> = {
      "us-central1":
        "projects/acme-data-dev/locations/us-central1/keyRings/airflow-dev-secrets/cryptoKeys/secret-manager",
      "us-east1": BYO_KEY,
      "us-west1": `${BYO_RING}/cryptoKeys/secret-manager`,
    };
    for (const secret of ofType(resources, SECRET_TYPE)) {
      const replicas = (
        secret.inputs.replication as {
          userManaged: {
            replicas: Array<{ location: string; customerManagedEncryption: { kmsKeyName: string } }>;
          };
        }
      ).userManaged.replicas;
      expect(
        Object.fromEntries(replicas.map((r) => [r.location, r.customerManagedEncryption.kmsKeyName])),
      ).toEqual(expected);
    }
    // The service agent is granted on every key, brought or created.
    const granted = ofType(resources, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").map(
      (g) => g.inputs.cryptoKeyId,
    );
    expect(granted.sort()).toEqual(Object.values(expected).sort());
  });
});

describe("identities", () => {
  it("binds Airflow's service account through the configured Workload Identity pool", () => {
    const binding = one(
      devResources(),
      "gcp:serviceaccount/iAMMember:IAMMember",
      /airflow-workload-identity$/,
    );
    expect(binding.inputs.member).toBe("serviceAccount:fleet-host.svc.id.goog[airflow-dev/airflow-worker]");
  });

  it("gives a version-managing CI writer adder and manager roles, still without access", () => {
    const own = ofType(devResources(), SECRET_TYPE).map((s) => String(s.inputs.secretId));
    expect(own).toHaveLength(2);
    // The given project number is the one the conditions name (evaluated on this and other environments' ids).
    const grants = effectiveGrants(
      devResources(),
      "serviceAccount:airflow-dev-writer@acme-data-dev.iam.gserviceaccount.com",
      [...own, ...neighbouringIds(own, "dev")],
      "555000111",
    );
    expect(Object.keys(grants)).toEqual([...own].sort());
    expect(Object.values(grants)).toEqual([
      ["roles/secretmanager.secretVersionAdder", "roles/secretmanager.secretVersionManager"],
      ["roles/secretmanager.secretVersionAdder", "roles/secretmanager.secretVersionManager"],
    ]);
    const reader = effectiveGrants(
      devResources(),
      "serviceAccount:airflow-dev@acme-data-dev.iam.gserviceaccount.com",
      [...own, ...neighbouringIds(own, "dev")],
      "555000111",
    );
    expect(Object.keys(reader)).toEqual([...own].sort());
  });
});

describe("bucket audit sink", () => {
  it("keeps entries in a private bucket with a retention policy and lets the sink write", () => {
    const resources = devResources();
    const bucket = one(resources, "gcp:storage/bucket:Bucket");
    expect(bucket.inputs).toMatchObject({
      name: "acme-data-dev-af-dev-sm-audit",
      publicAccessPrevention: "enforced",
      uniformBucketLevelAccess: true,
      retentionPolicy: { retentionPeriod: String(14 * 86_400) },
      lifecycleRules: [{ action: { type: "Delete" }, condition: { age: 14 } }],
      location: "us-central1",
    });
    const sink = one(resources, "gcp:logging/projectSink:ProjectSink");
    expect(sink.inputs.destination).toBe("storage.googleapis.com/acme-data-dev-af-dev-sm-audit");
    const writer = one(resources, "gcp:storage/bucketIAMMember:BucketIAMMember");
    expect(writer.inputs).toMatchObject({
      bucket: bucket.inputs.name,
      role: "roles/storage.objectCreator",
      member: expect.stringMatching(/@gcp-sa-logging\.iam\.gserviceaccount\.com$/),
    });
    // Without channels outside production, the alert still exists (visible in the console).
    expect(one(resources, "gcp:monitoring/alertPolicy:AlertPolicy").inputs.notificationChannels).toEqual([]);
  });

  it("labels secrets with the extra labels next to the backend's own", () => {
    for (const secret of ofType(devResources(), SECRET_TYPE)) {
      expect(secret.inputs.labels).toEqual({
        cost_center: "analytics",
        "airflow-secrets-environment": "dev",
        "managed-by": "airflow-secrets",
        "airflow-kind": expect.any(String),
      });
    }
  });
});

describe("the component used directly", () => {
  it("applies layout overrides and registers no writer, audit or rotation when they are off", () => {
    const resources = directResources();
    expect(ofType(resources, SECRET_TYPE).map((s) => s.inputs.secretId)).toEqual(["qa_vars_region"]);
    expect(direct.plan.airflowConfig.backendKwargs).toEqual({
      connections_prefix: null,
      variables_prefix: "qa_vars",
      config_prefix: null,
      sep: "_",
      project_id: "acme-data-qa",
    });
    expect(ofType(resources, "gcp:serviceaccount/account:Account").map((a) => a.inputs.accountId)).toEqual([
      "airflow-qa",
    ]);
    expect(ofType(resources, "gcp:logging/projectSink:ProjectSink")).toEqual([]);
    expect(ofType(resources, "gcp:projects/iAMAuditConfig:IAMAuditConfig")).toEqual([]);
    expect(ofType(resources, VERSION_TYPE)).toHaveLength(1);
    // Outputs name only what exists.
    expect(Object.keys(direct.deployment.outputs).sort()).toEqual([
      "airflowServiceAccount",
      "gcpProject",
      "kmsKeys",
      "secretIds",
    ]);
    expect(direct.rotation).toBeUndefined();
    expect(direct.audit).toBeUndefined();
  });

  it("exposes the Workload Identity annotation for the caller's own service account", async () => {
    const annotation = await resolveOutput(
      direct.deployment.serviceAccountAnnotations!["iam.gke.io/gcp-service-account"],
    );
    expect(annotation).toEqual({ value: "airflow-qa@acme-data-qa.iam.gserviceaccount.com", secret: false });
  });
});
