import { backendProfile, BackendKind, SecretKind } from "../../components/airflow";

/** Names from each provider's documentation for conn_id `smtp_default` with its default prefixes. */
const AIRFLOW_DOC_EXAMPLES: Array<[BackendKind, Record<string, string>, string]> = [
  [
    "aws-secrets-manager",
    { connectionsPrefix: "airflow/connections", sep: "/" },
    "airflow/connections/smtp_default",
  ],
  ["aws-ssm", { connectionsPrefix: "airflow/connections", sep: "/" }, "/airflow/connections/smtp_default"],
  [
    "gcp-secret-manager",
    { connectionsPrefix: "airflow-connections", sep: "-" },
    "airflow-connections-smtp_default",
  ],
  [
    "azure-key-vault",
    { connectionsPrefix: "airflow-connections", sep: "-" },
    "airflow-connections-smtp-default",
  ],
  ["vault", { connectionsPrefix: "connections", sep: "/" }, "connections/smtp_default"],
  ["env", {}, "AIRFLOW_CONN_SMTP_DEFAULT"],
];

describe("per-backend naming matches what each Airflow backend looks up", () => {
  it.each(AIRFLOW_DOC_EXAMPLES)("%s", (kind, layoutOverride, expected) => {
    const profile = backendProfile(kind);
    const layout = { ...profile.defaultLayout("dev"), ...layoutOverride };
    expect(profile.storageName(layout, "connection", "smtp_default")).toBe(expected);
  });

  it("per-environment defaults keep environments apart", () => {
    const names = (kind: BackendKind, k: SecretKind, id: string) =>
      ["dev", "prod"].map((env) =>
        backendProfile(kind).storageName(backendProfile(kind).defaultLayout(env), k, id),
      );
    expect(names("aws-secrets-manager", "variable", "x")).toEqual([
      "airflow/dev/variables/x",
      "airflow/prod/variables/x",
    ]);
    expect(names("vault", "config", "fernet_key")).toEqual([
      "dev/config/fernet_key",
      "prod/config/fernet_key",
    ]);
    expect(names("gcp-secret-manager", "connection", "a")).toEqual([
      "airflow-dev-connections-a",
      "airflow-prod-connections-a",
    ]);
  });

  it("AWS strips a trailing separator from the prefix like the backend does", () => {
    const aws = backendProfile("aws-secrets-manager");
    expect(
      aws.storageName(
        { ...aws.defaultLayout("dev"), connectionsPrefix: "airflow/connections/" },
        "connection",
        "a",
      ),
    ).toBe("airflow/connections/a");
  });

  it("Azure replaces _ in the prefix too and omits the separator for an empty prefix", () => {
    const azure = backendProfile("azure-key-vault");
    const layout = azure.defaultLayout("dev");
    expect(azure.storageName({ ...layout, connectionsPrefix: "air_flow" }, "connection", "my_db")).toBe(
      "air-flow-my-db",
    );
    expect(azure.storageName({ ...layout, connectionsPrefix: "" }, "connection", "my_db")).toBe("my-db");
  });

  it("Azure treats names case-insensitively for collisions; AWS does not", () => {
    expect(backendProfile("azure-key-vault").collisionKey("My-Conn")).toBe(
      backendProfile("azure-key-vault").collisionKey("my-conn"),
    );
    expect(backendProfile("aws-secrets-manager").collisionKey("My")).not.toBe(
      backendProfile("aws-secrets-manager").collisionKey("my"),
    );
  });
});
