/**
 * A corpus of Airflow connections and variables as Airflow's metadata DB holds them (extra as a JSON
 * string), covering every conn_type family with hostile passwords, logins, schemas and extras.
 * Every secret carries a unique marker, so a leak anywhere can be searched for.
 */
export interface CorpusConnection {
  conn_id: string;
  conn_type: string;
  description?: string | null;
  host?: string | null;
  port?: number | null;
  schema?: string | null;
  login?: string | null;
  password?: string | null;
  /** As the metadata DB stores it: a JSON string. */
  extra?: string | null;
}

export interface CorpusVariable {
  key: string;
  value: string;
  description?: string;
}

/** One family per provider area; hosts lower-case (a URI export lower-cases them anyway). */
const FAMILIES: Array<Omit<CorpusConnection, "conn_id" | "password">> = [
  { conn_type: "postgres", host: "warehouse.internal", port: 5432, schema: "analytics", login: "airflow" },
  { conn_type: "mysql", host: "mysql.internal", port: 3306, schema: "shop", login: "etl" },
  { conn_type: "mssql", host: "mssql.corp.example", port: 1433, schema: "dbo", login: "sa_etl" },
  { conn_type: "oracle", host: "ora.internal", port: 1521, schema: "ORCL", login: "scott" },
  {
    conn_type: "snowflake",
    login: "svc_airflow",
    schema: "PUBLIC",
    extra: '{"account": "xy12345", "warehouse": "WH", "role": "LOADER"}',
  },
  {
    conn_type: "redshift",
    host: "cluster.abc.eu-west-1.redshift.amazonaws.com",
    port: 5439,
    schema: "dev",
    login: "rs",
  },
  { conn_type: "http", host: "api.example.com", port: 443, login: "bot" },
  { conn_type: "ftp", host: "ftp.example.com", port: 21, login: "anonymous" },
  {
    conn_type: "sftp",
    host: "sftp.example.com",
    port: 22,
    login: "deploy",
    extra: '{"no_host_key_check": true}',
  },
  {
    conn_type: "ssh",
    host: "bastion.example.com",
    port: 22,
    login: "ubuntu",
    extra: '{"key_file": "/keys/id_ed25519", "timeout": 10}',
  },
  {
    conn_type: "aws",
    login: "AKIAEXAMPLE",
    extra: '{"region_name": "eu-west-1", "role_arn": "arn:aws:iam::123456789012:role/x"}',
  },
  {
    conn_type: "google_cloud_platform",
    extra: '{"project": "acme-data", "scope": "https://www.googleapis.com/auth/cloud-platform"}',
  },
  {
    conn_type: "wasb",
    login: "acmestorage",
    extra: '{"connection_string": "DefaultEndpointsProtocol=https;AccountName=acme"}',
  },
  {
    conn_type: "azure_data_explorer",
    host: "https://acme.kusto.windows.net",
    login: "app-id",
    extra: '{"tenant": "t-1", "auth_method": "AAD_APP"}',
  },
  { conn_type: "kubernetes", extra: '{"in_cluster": true, "namespace": "airflow"}' },
  { conn_type: "slack", extra: '{"timeout": 30}' },
  {
    conn_type: "smtp",
    host: "smtp.example.com",
    port: 587,
    login: "mailer",
    extra: '{"disable_tls": false, "from_email": "airflow@example.com"}',
  },
  { conn_type: "imap", host: "imap.example.com", port: 993, login: "inbox" },
  { conn_type: "redis", host: "redis.internal", port: 6379, schema: "0" },
  {
    conn_type: "mongo",
    host: "mongo-0.internal",
    port: 27017,
    schema: "events",
    login: "reader",
    extra: '{"srv": false, "ssl": true}',
  },
  { conn_type: "elasticsearch", host: "es.internal", port: 9200, login: "elastic" },
  {
    conn_type: "kafka",
    extra: '{"bootstrap.servers": "kafka:9092", "group.id": "airflow", "security.protocol": "SASL_SSL"}',
  },
  { conn_type: "spark", host: "yarn", extra: '{"queue": "etl", "deploy-mode": "cluster"}' },
  { conn_type: "hive_cli", host: "hive.internal", port: 10000, schema: "default", login: "hive" },
  {
    conn_type: "trino",
    host: "trino.internal",
    port: 8443,
    schema: "hive",
    login: "analyst",
    extra: '{"protocol": "https"}',
  },
  { conn_type: "vertica", host: "vertica.internal", port: 5433, schema: "vdb", login: "dbadmin" },
  { conn_type: "docker", host: "registry.example.com", login: "robot$ci" },
  {
    conn_type: "jdbc",
    host: "db2.internal",
    login: "db2inst1",
    extra: '{"drv_path": "/opt/db2jcc4.jar", "drv_clsname": "com.ibm.db2.jcc.DB2Driver"}',
  },
  {
    conn_type: "odbc",
    host: "dsn.internal",
    schema: "master",
    login: "odbc",
    extra: '{"driver": "ODBC Driver 18 for SQL Server", "ApplicationIntent": "ReadOnly"}',
  },
  {
    conn_type: "generic",
    host: "thing.example.com",
    extra: '{"anything": {"nested": [1, 2, {"deep": "yes"}]}, "flag": null}',
  },
  { conn_type: "databricks", host: "adb-123.azuredatabricks.net", login: "token" },
  { conn_type: "samba", host: "fileshare.internal", schema: "share", login: "CORP\\svc" },
  { conn_type: "sqlite", host: "/var/lib/airflow/local.db" },
  { conn_type: "opsgenie", host: "https://api.opsgenie.com" },
  { conn_type: "dbt_cloud", login: "12345", extra: '{"tenant": "emea.dbt.com"}' },
];

/** Hostile passwords: URI delimiters, percent signs, quotes, shell syntax, unicode, whitespace, YAML-special text. */
const HOSTILE = [
  "p@ss:w/rd?#&=+",
  "100% %41 %zz %",
  'it\'s "quoted" and `ticked`',
  "$(rm -rf /) ; | & > <",
  "ünïcødé-日本語-🔑",
  "line1\nline2",
  "tab\there",
  " leading and trailing ",
  "ends with newline\n",
  "yes",
  "null",
  "0o17",
  "~",
  "- dash: colon #hash",
  '{"looks": "like json"}',
  "--help",
  "back\\slash\\",
  "plus+space here",
  "x".repeat(700),
  "é\r\nwindows",
];

export const SECRET_MARKER = "S3CRET";

export function secretFor(i: number): string {
  return `${HOSTILE[i % HOSTILE.length]}<${SECRET_MARKER}-${i}>`;
}

/** Extra keys whose names look secret; their values must leave the stack file. */
function secretExtras(i: number): Record<string, unknown> {
  switch (i % 10) {
    case 0:
      return { api_token: `tok ${secretFor(i + 100)}` };
    case 1:
      return {
        keyfile_dict: {
          type: "service_account",
          private_key: `-----BEGIN KEY-----\n${secretFor(i + 200)}`,
          n: 3,
        },
      };
    case 2:
      return { client_secret: secretFor(i + 300), extra__x__password: `pw ${secretFor(i + 400)}` };
    default:
      return {};
  }
}

/**
 * `count` connections: each family, hostile values throughout. Ids are valid for Airflow; a few are
 * ones the env-var backend cannot name (`-`, `.`, `:`), so the import must rename them.
 */
export function corpusConnections(count: number): CorpusConnection[] {
  const out: CorpusConnection[] = [];
  for (let i = 0; i < count; i++) {
    const family = FAMILIES[i % FAMILIES.length];
    const extra = { ...(family.extra ? JSON.parse(family.extra) : {}), ...secretExtras(i) };
    if (i % 7 === 3) extra["query with spaces"] = "a=b&c=d e";
    const id =
      i % 11 === 4
        ? `legacy-${family.conn_type}.${i}`
        : i % 13 === 6
          ? `team:${family.conn_type}_${i}`
          : `${family.conn_type}_${i}`;
    out.push({
      ...family,
      conn_id: id,
      description: i % 3 === 0 ? `Imported «${family.conn_type}» #${i}` : null,
      login: family.login === undefined ? null : i % 4 === 1 ? `${family.login}@corp:/${i}` : family.login,
      password: i % 17 === 9 ? null : secretFor(i),
      schema: family.schema ?? (i % 6 === 2 ? `db/with space%${i}` : null),
      extra: Object.keys(extra).length > 0 ? JSON.stringify(extra) : null,
    });
  }
  return out;
}

export function corpusVariables(): CorpusVariable[] {
  return [
    { key: "alert_email_import", value: "data-alerts@example.com" },
    { key: "json_config", value: '{"a": 1, "b": [1, 2], "c": "x"}', description: "structured" },
    { key: "number_like", value: "42" },
    { key: "quoted_string", value: '"already quoted"' },
    { key: "api_secret_key", value: `sk-${secretFor(900)}` },
    { key: "dwh_password", value: `pw-${secretFor(901)}`, description: "marked by its name" },
    { key: "marked_by_user", value: `user-${secretFor(902)}` },
    { key: "multiline", value: "first\nsecond\n" },
    { key: "unicode_value", value: "naïve 日本 🚀" },
    { key: "legacy-var.name", value: "renamed by the import" },
  ];
}

/** Every secret value in the corpus: passwords, secret-looking extra leaves and secret variables. */
export function corpusSecrets(
  connections: readonly CorpusConnection[],
  variables: readonly CorpusVariable[],
  secretVariableKeys: readonly string[],
): string[] {
  const out: string[] = [];
  const strings = (value: unknown): string[] =>
    typeof value === "string"
      ? [value]
      : Array.isArray(value)
        ? value.flatMap(strings)
        : value && typeof value === "object"
          ? Object.values(value).flatMap(strings)
          : [];
  for (const conn of connections) {
    if (conn.password) out.push(conn.password);
    const extra = conn.extra ? (JSON.parse(conn.extra) as Record<string, unknown>) : {};
    for (const [name, value] of Object.entries(extra))
      if (/pass(word|wd)?|secret|token|api_?key|private_?key|credential|keyfile_dict|auth/i.test(name))
        out.push(...strings(value).filter((s) => s.includes(SECRET_MARKER)));
  }
  for (const variable of variables)
    if (secretVariableKeys.includes(variable.key) || variable.value.includes(SECRET_MARKER))
      out.push(variable.value);
  return out;
}
