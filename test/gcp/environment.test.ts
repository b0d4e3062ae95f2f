/**
 * A production environment on the GCP backend, run whole under Pulumi's mock runtime: names Airflow
 * looks up, CMEK on every replica, secretness, least-privilege IAM, protection, rotation wiring, audit.
 */
import { installMocks, isSecretValue, resolveOutput } from "../../cli/synth/mockRuntime";
import { MOCK_PROJECT_NUMBER } from "../../cli/synth/computed/gcp";
import { AirflowSecretsEnvironment } from "../../components/environment";
import { DEFAULT_EXCLUDED_CHARACTERS } from "../../components/rotation/password";
import { askPython } from "../support/airflowSemantics";
import { countWrapped, findUnwrappedSecrets } from "../support/secrets";
import { effectiveGrants, neighbouringIds } from "./effectiveAccess";
import {
  SECRET_IAM_TYPE,
  SECRET_TYPE,
  VERSION_TYPE,
  captureRegistrationOptions,
  ofType,
  one,
  secretById,
  unconditionalSecretReaders,
  unwrap,
} from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fernet = require("fernet") as {
  Secret: new (key: string) => unknown;
  Token: new (options: { secret: unknown; token?: string; ttl?: number }) => {
    encode(message: string): string;
    decode(): string;
  };
};

const session = installMocks({ project: "airflow-secrets", stack: "prod" });
const options = captureRegistrationOptions();

const PROJECT = "acme-data-prod";
const ADMIN_PASSWORD = "adm1n:/@%#?pw";
const WAREHOUSE_PASSWORD = "w4rehouse-secret";
const REPORTING_PASSWORD = "rep0rting-secret";
const TOKEN = "xoxb-very-secret-token";
const API_KEY = "variable-secret-value";
const CHANNEL = "projects/acme-data-prod/notificationChannels/42";
const NEXT_ROTATION = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");

const SECRET_MANAGER_AGENT = `serviceAccount:service-${MOCK_PROJECT_NUMBER}@gcp-sa-secretmanager.iam.gserviceaccount.com`;
const AIRFLOW_SA = `airflow-prod@${PROJECT}.iam.gserviceaccount.com`;
const WRITER = `serviceAccount:airflow-prod-writer@${PROJECT}.iam.gserviceaccount.com`;
const ROTATOR = `serviceAccount:airflow-prod-rotator@${PROJECT}.iam.gserviceaccount.com`;

let environment: AirflowSecretsEnvironment;

beforeAll(async () => {
  environment = new AirflowSecretsEnvironment("prod", {
    environment: "prod",
    owner: "data-platform",
    backend: "gcp",
    airflow: { version: "2.10" },
    kubernetes: { namespace: "airflow-prod", serviceAccount: "airflow" },
    fernet: { generations: ["2026-q3", "2026-q4"], rotationInProgress: true },
    backendSettings: {
      project: PROJECT,
      locations: ["europe-west1", "europe-west4"],
      ciWriter: {
        workloadIdentityPrincipals: [
          "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/attribute.repository/acme/infra",
        ],
      },
      audit: { sink: { type: "bigquery" }, notificationChannels: [CHANNEL] },
      rotation: {
        vpcConnector: `projects/${PROJECT}/locations/europe-west1/connectors/airflow-db`,
        connections: { reporting: { rotationPeriod: "86400s", nextRotationTime: NEXT_ROTATION } },
      },
    },
    declarations: {
      connections: [
        {
          conn_id: "warehouse_admin",
          conn_type: "postgres",
          host: "10.0.0.5",
          port: 5432,
          schema: "analytics",
          login: "admin",
          password: ADMIN_PASSWORD,
        },
        {
          conn_id: "warehouse",
          conn_type: "postgres",
          host: "10.0.0.5",
          port: 5432,
          schema: "analytics",
          login: "airflow",
          password: WAREHOUSE_PASSWORD,
          extra: { sslmode: "verify-full" },
          rotation: { strategy: "alternating-users", everyDays: 30, masterConnId: "warehouse_admin" },
        },
        {
          conn_id: "reporting",
          conn_type: "postgres",
          host: "10.0.0.6",
          login: "reporter",
          password: REPORTING_PASSWORD,
          rotation: { strategy: "single-user", everyDays: 7 },
        },
        { conn_id: "slack", conn_type: "http", host: "hooks.slack.com", extra: { webhook_token: TOKEN } },
      ],
      variables: [{ key: "api_key", value: API_KEY }],
    },
  });
  await resolveOutput(environment.airflowConfig.env);
  await session.settle();
});

const resources = () => session.resources;
const secrets = () => ofType(resources(), SECRET_TYPE);
const ownIds = () => secrets().map((s) => String(s.inputs.secretId));
/** This environment's ids and their neighbours in other environments, kinds and projects' prefixes. */
const candidates = () => [...ownIds(), ...neighbouringIds(ownIds(), "prod")];
const byId = (id: string) => secrets().find((s) => s.inputs.secretId === id)!;

describe("naming", () => {
  it("stores every declared id under the name CloudSecretManagerBackend builds from the rendered kwargs", () => {
    const kwargs = environment.airflowConfig.backendKwargs as Record<string, string>;
    // Airflow: BaseSecretsBackend.build_path(prefix, secret_id, sep) = f"{prefix}{sep}{secret_id}".
    const buildPath = (prefix: string, id: string) => `${prefix}${kwargs.sep}${id}`;
    const expected = [
      ...["warehouse_admin", "warehouse", "reporting", "slack"].map((id) =>
        buildPath(kwargs.connections_prefix, id),
      ),
      buildPath(kwargs.variables_prefix, "api_key"),
      buildPath(kwargs.config_prefix, "fernet_key"),
    ];
    expect(
      secrets()
        .map((s) => s.inputs.secretId)
        .sort(),
    ).toEqual(expected.sort());
    expect(expected).toContain("airflow-prod-connections-warehouse");
    for (const id of expected) expect(id).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
  });

  it("configures CloudSecretManagerBackend with project_id and no lookup-pattern kwargs", () => {
    const config = environment.airflowConfig;
    expect(config.backendClass).toBe(
      "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend",
    );
    expect(config.backendKwargs).toEqual({
      connections_prefix: "airflow-prod-connections",
      variables_prefix: "airflow-prod-variables",
      config_prefix: "airflow-prod-config",
      sep: "-",
      project_id: PROJECT,
    });
    expect(config.env.AIRFLOW__CORE__FERNET_KEY_SECRET).toBe("fernet_key");
    expect(JSON.parse(config.env.AIRFLOW__SECRETS__BACKEND_KWARGS)).toEqual(config.backendKwargs);
  });

  it("annotates Airflow's Kubernetes service account with the Google service account", () => {
    const sa = one(resources(), "kubernetes:core/v1:ServiceAccount");
    const metadata = sa.inputs.metadata as {
      annotations: Record<string, string>;
      namespace: string;
      name: string;
    };
    expect(metadata.annotations["iam.gke.io/gcp-service-account"]).toBe(AIRFLOW_SA);
    const binding = one(resources(), "gcp:serviceaccount/iAMMember:IAMMember", /airflow-workload-identity$/);
    expect(binding.inputs).toMatchObject({
      role: "roles/iam.workloadIdentityUser",
      member: `serviceAccount:${PROJECT}.svc.id.goog[${metadata.namespace}/${metadata.name}]`,
      serviceAccountId: `projects/${PROJECT}/serviceAccounts/${AIRFLOW_SA}`,
    });
  });
});

describe("encryption and secrecy", () => {
  it("replicates every secret only to user-managed replicas, each encrypted with its own location's key", () => {
    const rings = ofType(resources(), "gcp:kms/keyRing:KeyRing");
    const keys = ofType(resources(), "gcp:kms/cryptoKey:CryptoKey");
    expect(rings.map((r) => r.inputs.location).sort()).toEqual(["europe-west1", "europe-west4"]);
    const keyNameIn = (location: string) => {
      const ring = rings.find((r) => r.inputs.location === location)!;
      const key = keys.find(
        (k) =>
          String(k.inputs.keyRing).endsWith(`/keyRings/${ring.inputs.name}`) &&
          String(k.inputs.keyRing).includes(`/locations/${location}/`),
      )!;
      return `${key.inputs.keyRing}/cryptoKeys/${key.inputs.name}`;
    };
    expect(secrets()).toHaveLength(6);
    for (const secret of secrets()) {
      const replication = secret.inputs.replication as {
        auto?: unknown;
        userManaged: {
          replicas: Array<{ location: string; customerManagedEncryption?: { kmsKeyName: string } }>;
        };
      };
      expect(replication.auto).toBeUndefined();
      const replicas = replication.userManaged.replicas;
      expect(replicas.map((r) => r.location).sort()).toEqual(["europe-west1", "europe-west4"]);
      for (const replica of replicas) {
        expect(replica.customerManagedEncryption?.kmsKeyName).toBe(keyNameIn(replica.location));
        expect(replica.customerManagedEncryption!.kmsKeyName).toContain(`/locations/${replica.location}/`);
      }
    }
  });

  it("lets Secret Manager's service agent use each key, and rotates keys at most every 90 days", () => {
    const agent = one(resources(), "gcp:projects/serviceIdentity:ServiceIdentity");
    expect(agent.inputs).toMatchObject({ project: PROJECT, service: "secretmanager.googleapis.com" });
    const grants = ofType(resources(), "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember");
    const keys = ofType(resources(), "gcp:kms/cryptoKey:CryptoKey");
    expect(grants.map((g) => g.inputs.cryptoKeyId).sort()).toEqual(
      keys.map((k) => `${k.inputs.keyRing}/cryptoKeys/${k.inputs.name}`).sort(),
    );
    for (const grant of grants)
      expect(grant.inputs).toMatchObject({
        role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        member: SECRET_MANAGER_AGENT,
      });
    for (const key of keys) {
      const seconds = Number(/^(\d+)s$/.exec(String(key.inputs.rotationPeriod))![1]);
      expect(seconds).toBeGreaterThan(86_400);
      expect(seconds).toBeLessThanOrEqual(90 * 86_400);
    }
  });

  it("protects production KMS keys, key rings and the stored Fernet key", () => {
    const kms = [
      ...ofType(resources(), "gcp:kms/keyRing:KeyRing"),
      ...ofType(resources(), "gcp:kms/cryptoKey:CryptoKey"),
    ];
    expect(kms).toHaveLength(4);
    for (const r of kms) expect([r.name, r.protect, r.retainOnDelete]).toEqual([r.name, true, true]);
    const fernet = byId("airflow-prod-config-fernet_key");
    expect([fernet.protect, fernet.retainOnDelete, fernet.inputs.deletionProtection]).toEqual([
      true,
      true,
      true,
    ]);
    const fernetVersion = ofType(resources(), VERSION_TYPE).find(
      (v) => v.inputs.secret === `${fernet.name}-id`,
    )!;
    expect(fernetVersion.retainOnDelete).toBe(true);
    // Connections stay removable by a reviewed change; only keys are protected.
    expect(byId("airflow-prod-connections-slack").protect).toBe(false);
    for (const secret of secrets()) expect(secret.inputs.versionDestroyTtl).toBe("604800s");
  });

  it("wraps every secret value, and stores connections Airflow's Connection.from_json accepts", async () => {
    const versions = ofType(resources(), VERSION_TYPE);
    expect(versions).toHaveLength(6);
    for (const v of versions) expect(isSecretValue(v.inputs.secretData)).toBe(true);
    const fernetKey = unwrap<string>(
      versions.find((v) => v.inputs.secret === `${byId("airflow-prod-config-fernet_key").name}-id`)!.inputs
        .secretData,
    );
    expect(fernetKey).toMatch(/^[A-Za-z0-9_-]{43}=,[A-Za-z0-9_-]{43}=$/);
    // Airflow's MultiFernet window: both keys are real Fernet keys; a token made with the old one still opens.
    const [newest, previous] = fernetKey.split(",");
    const oldToken = new fernet.Token({ secret: new fernet.Secret(previous), ttl: 0 }).encode(
      "conn password",
    );
    expect(new fernet.Token({ secret: new fernet.Secret(previous), token: oldToken, ttl: 0 }).decode()).toBe(
      "conn password",
    );
    expect(() =>
      new fernet.Token({ secret: new fernet.Secret(newest), token: oldToken, ttl: 0 }).decode(),
    ).toThrow();
    const needles = [
      ADMIN_PASSWORD,
      WAREHOUSE_PASSWORD,
      REPORTING_PASSWORD,
      TOKEN,
      API_KEY,
      newest,
      previous,
    ];
    expect(findUnwrappedSecrets(resources(), needles)).toEqual([]);
    for (const needle of needles) expect(countWrapped(resources(), needle)).toBeGreaterThan(0);

    const warehouse = unwrap<string>(
      versions.find((v) => v.inputs.secret === `${byId("airflow-prod-connections-warehouse").name}-id`)!
        .inputs.secretData,
    );
    const [parsed] = askPython([{ op: "json", value: warehouse }]);
    expect(parsed.ok).toEqual({
      conn_type: "postgres",
      host: "10.0.0.5",
      port: 5432,
      schema: "analytics",
      login: "airflow",
      password: WAREHOUSE_PASSWORD,
      extra: '{"sslmode":"verify-full"}',
    });
  });
});

describe("access", () => {
  it("grants no project-, folder- or organization-wide role that reads secrets without a condition", () => {
    expect(unconditionalSecretReaders(resources()).map((r) => r.name)).toEqual([]);
    // Every project-level Secret Manager grant carries a condition; there are no per-secret members left.
    const projectGrants = ofType(resources(), "gcp:projects/iAMMember:IAMMember").filter((r) =>
      String(r.inputs.role).startsWith("roles/secretmanager."),
    );
    expect(projectGrants.length).toBeGreaterThan(0);
    for (const grant of projectGrants)
      expect((grant.inputs.condition as { expression: string }).expression).toMatch(/^\(resource\.name/);
    expect(ofType(resources(), SECRET_IAM_TYPE)).toEqual([]);
  });

  it("grants per environment, not per secret: the access resources do not grow with the connections", () => {
    const iam = resources().filter((r) =>
      /^gcp:(projects|secretmanager)\/.*[iI]am(Member|Policy):/i.test(r.type),
    );
    // Reader, CI writer (adder), and the rotator's one policy per rotated secret or master (3).
    expect(iam.map((r) => r.type).sort()).toEqual([
      "gcp:projects/iAMMember:IAMMember",
      "gcp:projects/iAMMember:IAMMember",
      "gcp:secretmanager/secretIamPolicy:SecretIamPolicy",
      "gcp:secretmanager/secretIamPolicy:SecretIamPolicy",
      "gcp:secretmanager/secretIamPolicy:SecretIamPolicy",
    ]);
  });

  it("the project-wide check recognises the bindings it must refuse", () => {
    const fixture = (type: string, inputs: Record<string, unknown>) => ({
      urn: type,
      type,
      name: type,
      custom: true,
      inputs,
      protect: false,
      retainOnDelete: false,
      dependencies: [],
      aliases: [],
    });
    const flagged = unconditionalSecretReaders([
      fixture("gcp:projects/iAMMember:IAMMember", {
        role: "roles/secretmanager.secretAccessor",
        member: "user:a@example.com",
      }),
      fixture("gcp:organizations/iAMBinding:IAMBinding", {
        role: "roles/owner",
        members: ["user:b@example.com"],
      }),
      fixture("gcp:folder/iAMPolicy:IAMPolicy", {
        policyData: JSON.stringify({
          bindings: [{ role: "roles/secretmanager.admin", members: ["group:c@example.com"] }],
        }),
      }),
      fixture("gcp:projects/iAMMember:IAMMember", {
        role: "roles/secretmanager.secretAccessor",
        member: "user:d@example.com",
        condition: {
          title: "prefix",
          expression: 'resource.name.startsWith("projects/1/secrets/airflow-prod-")',
        },
      }),
      fixture("gcp:projects/iAMMember:IAMMember", {
        role: "roles/logging.viewer",
        member: "user:e@example.com",
      }),
    ]);
    expect(flagged.map((r) => r.type)).toEqual([
      "gcp:projects/iAMMember:IAMMember",
      "gcp:organizations/iAMBinding:IAMBinding",
      "gcp:folder/iAMPolicy:IAMPolicy",
    ]);
  });

  it("lets Airflow read exactly this environment's secrets, except the rotation master only the rotator reads", () => {
    const master = "airflow-prod-connections-warehouse_admin";
    expect(ownIds()).toContain(master);
    expect(neighbouringIds(ownIds(), "prod").length).toBeGreaterThan(ownIds().length * 4);
    // The condition is evaluated (CEL) on every candidate name, this environment's and its neighbours'.
    const grants = effectiveGrants(
      resources(),
      `serviceAccount:${AIRFLOW_SA}`,
      candidates(),
      MOCK_PROJECT_NUMBER,
    );
    expect(Object.keys(grants)).toEqual(
      ownIds()
        .filter((id) => id !== master)
        .sort(),
    );
    for (const roles of Object.values(grants)) expect(roles).toEqual(["roles/secretmanager.secretAccessor"]);
    // Same ids in another project: nothing.
    expect(effectiveGrants(resources(), `serviceAccount:${AIRFLOW_SA}`, ownIds(), "987654321")).toEqual({});
    // The documented breadth of a prefix grant: an undeclared id under this environment's prefix is readable,
    // exactly as with the AWS backend's ARN prefixes.
    expect(
      Object.keys(
        effectiveGrants(
          resources(),
          `serviceAccount:${AIRFLOW_SA}`,
          ["airflow-prod-connections-undeclared", "airflow-prod-connections-warehouse_admin2"],
          MOCK_PROJECT_NUMBER,
        ),
      ),
    ).toEqual(["airflow-prod-connections-undeclared", "airflow-prod-connections-warehouse_admin2"]);
  });

  it("lets the CI writer add versions to every secret of this environment but read none", () => {
    const grants = effectiveGrants(resources(), WRITER, candidates(), MOCK_PROJECT_NUMBER);
    expect(Object.keys(grants)).toEqual([...ownIds()].sort());
    for (const roles of Object.values(grants))
      expect(roles).toEqual(["roles/secretmanager.secretVersionAdder"]);
    const federation = one(resources(), "gcp:serviceaccount/iAMMember:IAMMember", /ci-writer-federation-0$/);
    expect(federation.inputs).toMatchObject({
      role: "roles/iam.workloadIdentityUser",
      member: expect.stringMatching(/^principalSet:\/\//),
    });
  });
});

describe("rotation", () => {
  it("schedules rotation on rotated connections only, publishing to the topic the service agent may publish to", () => {
    const topic = one(resources(), "gcp:pubsub/topic:Topic");
    const topicName = `projects/${PROJECT}/topics/${topic.inputs.name}`;
    const publisher = one(resources(), "gcp:pubsub/topicIAMMember:TopicIAMMember");
    expect(publisher.inputs).toMatchObject({
      topic: topic.inputs.name,
      role: "roles/pubsub.publisher",
      member: SECRET_MANAGER_AGENT,
    });
    const rotated = secrets().filter((s) => s.inputs.rotation !== undefined);
    expect(rotated.map((s) => s.inputs.secretId).sort()).toEqual([
      "airflow-prod-connections-reporting",
      "airflow-prod-connections-warehouse",
    ]);
    for (const s of rotated) expect(s.inputs.topics).toEqual([{ name: topicName }]);
    expect(byId("airflow-prod-connections-reporting").inputs.rotation).toEqual({
      rotationPeriod: "86400s",
      nextRotationTime: NEXT_ROTATION,
    });
    const warehouse = byId("airflow-prod-connections-warehouse").inputs.rotation as {
      rotationPeriod: string;
      nextRotationTime: string;
    };
    expect(warehouse.rotationPeriod).toBe(`${30 * 86_400}s`);
    expect(Date.parse(warehouse.nextRotationTime)).toBeGreaterThan(Date.now() + 3_000_000);
    expect(byId("airflow-prod-connections-slack").inputs.topics).toBeUndefined();
  });

  it("deploys a 2nd gen function on the topic, with its own identity limited to the rotated secrets", () => {
    const fn = one(resources(), "gcp:cloudfunctionsv2/function:Function");
    const topic = one(resources(), "gcp:pubsub/topic:Topic");
    const inputs = fn.inputs as {
      buildConfig: {
        runtime: string;
        entryPoint: string;
        source: { storageSource: { bucket: string; object: string } };
      };
      serviceConfig: Record<string, unknown> & { environmentVariables: Record<string, string> };
      eventTrigger: Record<string, string>;
    };
    expect(inputs.buildConfig).toMatchObject({ runtime: "nodejs22", entryPoint: "rotateSecret" });
    expect(inputs.eventTrigger).toMatchObject({
      eventType: "google.cloud.pubsub.topic.v1.messagePublished",
      pubsubTopic: `projects/${PROJECT}/topics/${topic.inputs.name}`,
      serviceAccountEmail: ROTATOR.replace("serviceAccount:", ""),
    });
    expect(inputs.serviceConfig).toMatchObject({
      serviceAccountEmail: ROTATOR.replace("serviceAccount:", ""),
      maxInstanceCount: 1,
      maxInstanceRequestConcurrency: 1,
      vpcConnector: `projects/${PROJECT}/locations/europe-west1/connectors/airflow-db`,
      vpcConnectorEgressSettings: "PRIVATE_RANGES_ONLY",
    });
    const config = JSON.parse(inputs.serviceConfig.environmentVariables.AIRFLOW_SECRETS_ROTATOR_CONFIG);
    expect(config).toEqual({
      projectId: PROJECT,
      projectNumber: MOCK_PROJECT_NUMBER,
      secrets: {
        "airflow-prod-connections-warehouse": {
          connId: "warehouse",
          strategy: "alternating-users",
          master: "airflow-prod-connections-warehouse_admin",
        },
        "airflow-prod-connections-reporting": { connId: "reporting", strategy: "single-user" },
      },
      // The rotation core's password policy, with its default excluded characters written out.
      password: { length: 32, excludeCharacters: DEFAULT_EXCLUDED_CHARACTERS },
    });
    expect(effectiveGrants(resources(), ROTATOR, candidates(), MOCK_PROJECT_NUMBER)).toEqual({
      "airflow-prod-connections-reporting": [
        "roles/secretmanager.secretAccessor",
        "roles/secretmanager.secretVersionAdder",
        "roles/secretmanager.viewer",
      ],
      "airflow-prod-connections-warehouse": [
        "roles/secretmanager.secretAccessor",
        "roles/secretmanager.secretVersionAdder",
        "roles/secretmanager.viewer",
      ],
      "airflow-prod-connections-warehouse_admin": ["roles/secretmanager.secretAccessor"],
    });
    const invoker = one(resources(), "gcp:cloudrunv2/serviceIamMember:ServiceIamMember");
    expect(invoker.inputs).toMatchObject({
      role: "roles/run.invoker",
      member: ROTATOR,
      name: `projects/${PROJECT}/locations/europe-west1/services/airflow-prod-secret-rotator`,
    });
  });

  it("uploads the bundled source to a private bucket", () => {
    const bucket = one(resources(), "gcp:storage/bucket:Bucket", /rotator-source$/);
    expect(bucket.inputs).toMatchObject({
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      location: "europe-west1",
    });
    const object = one(resources(), "gcp:storage/bucketObject:BucketObject");
    const fn = one(resources(), "gcp:cloudfunctionsv2/function:Function");
    const source = (
      fn.inputs.buildConfig as { source: { storageSource: { bucket: string; object: string } } }
    ).source.storageSource;
    expect(source).toEqual({ bucket: bucket.inputs.name, object: object.inputs.name });
    expect(object.inputs.name).toMatch(/^rotator-[0-9a-f]{16}\.zip$/);
    expect((object.inputs.metadata as Record<string, string>)["source-sha256"]).toMatch(
      new RegExp(`^${String(object.inputs.name).slice(8, 24)}`),
    );
  });

  it("never writes a rotated connection's stack value over the rotator's versions", () => {
    for (const secret of secrets()) {
      const version = ofType(resources(), VERSION_TYPE).find((v) => v.inputs.secret === `${secret.name}-id`)!;
      const rotated = secret.inputs.rotation !== undefined;
      expect([secret.inputs.secretId, options.get(version.name)!.ignoreChanges]).toEqual([
        secret.inputs.secretId,
        rotated ? ["secretData"] : [],
      ]);
      expect([secret.inputs.secretId, options.get(secret.name)!.ignoreChanges]).toEqual([
        secret.inputs.secretId,
        rotated ? ["rotation.nextRotationTime"] : [],
      ]);
    }
  });

  it("creates secrets only after the service agent may use the keys and publish to the topic", () => {
    const prerequisites = [
      ...ofType(resources(), "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"),
      one(resources(), "gcp:pubsub/topicIAMMember:TopicIAMMember"),
    ].map((r) => r.urn);
    for (const secret of secrets())
      expect(options.get(secret.name)!.dependencies).toEqual(expect.arrayContaining(prerequisites));
  });
});

describe("audit", () => {
  it("turns on Data Access logs for Secret Manager", () => {
    const config = one(resources(), "gcp:projects/iAMAuditConfig:IAMAuditConfig");
    expect(config.inputs.service).toBe("secretmanager.googleapis.com");
    expect(
      (config.inputs.auditLogConfigs as Array<{ logType: string }>).map((c) => c.logType).sort(),
    ).toEqual(["ADMIN_READ", "DATA_READ", "DATA_WRITE"]);
  });

  it("sinks this environment's Secret Manager entries to BigQuery and lets the sink write there", () => {
    const sink = one(resources(), "gcp:logging/projectSink:ProjectSink");
    const dataset = one(resources(), "gcp:bigquery/dataset:Dataset");
    expect(sink.inputs.destination).toBe(
      `bigquery.googleapis.com/projects/${PROJECT}/datasets/${dataset.inputs.datasetId}`,
    );
    // Partitioned tables: entries expire day by day; a table expiration would drop the whole log table.
    expect(sink.inputs.bigqueryOptions).toEqual({ usePartitionedTables: true });
    expect(dataset.inputs.defaultPartitionExpirationMs).toBe(365 * 86_400_000);
    expect(dataset.inputs.defaultTableExpirationMs).toBeUndefined();
    expect([dataset.protect, dataset.retainOnDelete]).toEqual([true, true]);
    const writer = one(resources(), "gcp:bigquery/datasetIamMember:DatasetIamMember");
    expect(writer.inputs).toMatchObject({
      datasetId: dataset.inputs.datasetId,
      role: "roles/bigquery.dataEditor",
      member: `serviceAccount:service-${MOCK_PROJECT_NUMBER}@gcp-sa-logging.iam.gserviceaccount.com`,
    });
    const filter = String(sink.inputs.filter);
    expect(filter).toContain('protoPayload.serviceName="secretmanager.googleapis.com"');
    // The resource-name regex (RE2 syntax, also valid JavaScript) selects this environment's secrets only.
    const regex = new RegExp(/protoPayload\.resourceName=~"([^"]+)"/.exec(filter)![1]);
    for (const s of secrets())
      expect(regex.test(`projects/${MOCK_PROJECT_NUMBER}/secrets/${s.inputs.secretId}/versions/latest`)).toBe(
        true,
      );
    expect(regex.test(`projects/${MOCK_PROJECT_NUMBER}/secrets/payments-db-password/versions/latest`)).toBe(
      false,
    );
    expect(
      regex.test(
        `projects/${MOCK_PROJECT_NUMBER}/secrets/airflow-staging-connections-warehouse/versions/latest`,
      ),
    ).toBe(false);
  });

  it("counts denied and not-found accesses and alerts on them", () => {
    const metric = one(resources(), "gcp:logging/metric:Metric");
    const filter = String(metric.inputs.filter);
    expect(filter).toContain('protoPayload.serviceName="secretmanager.googleapis.com"');
    expect(filter).toContain("(protoPayload.status.code=7 OR protoPayload.status.code=5)");
    const policy = one(resources(), "gcp:monitoring/alertPolicy:AlertPolicy");
    expect(policy.inputs.notificationChannels).toEqual([CHANNEL]);
    const conditions = policy.inputs.conditions as Array<{
      conditionThreshold: { filter: string; thresholdValue: number };
    }>;
    // Airflow's account reads only declared secrets, so Secret Manager answers its lookups of undeclared
    // ids with PERMISSION_DENIED ("or it may not exist"): those count as misses against the threshold;
    // only other callers' denials alert on the first.
    expect(conditions.map((c) => c.conditionThreshold.filter)).toEqual([
      `metric.type="logging.googleapis.com/user/${metric.inputs.name}" AND metric.label.status_code="7" AND metric.label.principal!="${AIRFLOW_SA}"`,
      `metric.type="logging.googleapis.com/user/${metric.inputs.name}" AND metric.label.principal="${AIRFLOW_SA}"`,
    ]);
    expect(conditions.map((c) => c.conditionThreshold.thresholdValue)).toEqual([0, 20]);
  });
});

describe("labels", () => {
  it("labels every secret with the environment, owner and managed-by", () => {
    for (const s of secrets()) {
      expect(s.inputs.labels).toMatchObject({
        "airflow-secrets-environment": "prod",
        owner: "data-platform",
        "managed-by": "airflow-secrets",
      });
    }
    expect(
      secretById(resources(), `${byId("airflow-prod-connections-warehouse").name}-id`).inputs.annotations,
    ).toEqual({
      "airflow-kind": "connection",
      "airflow-id": "warehouse",
      "airflow-rotation-strategy": "alternating-users",
    });
  });
});
