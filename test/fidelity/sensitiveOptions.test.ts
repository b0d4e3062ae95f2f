import * as fs from "fs";
import {
  AIRFLOW_CONFIG_DIR,
  GENERATED_TABLE,
  deriveSensitiveTables,
  renderSensitiveTables,
} from "./sensitiveOptionsSource";
import { SUPPORTED_AIRFLOW_VERSIONS, sensitiveOptionsFor } from "../../components/airflow";

const haveAirflowFiles = fs.existsSync(AIRFLOW_CONFIG_DIR);

describe("the sensitive-option tables", () => {
  (haveAirflowFiles ? it : it.skip)("match Airflow's own config.yml and provider.yaml files", () => {
    const rendered = renderSensitiveTables(deriveSensitiveTables());
    if (process.env.UPDATE_SENSITIVE_OPTIONS === "1") fs.writeFileSync(GENERATED_TABLE, rendered);
    expect(fs.readFileSync(GENERATED_TABLE, "utf8")).toBe(rendered);
  });

  it("cover every supported line and differ where Airflow differs", () => {
    for (const line of SUPPORTED_AIRFLOW_VERSIONS) expect(sensitiveOptionsFor(line).size).toBeGreaterThan(5);
    expect(sensitiveOptionsFor("2.10").has("smtp.smtp_password")).toBe(true);
    expect(sensitiveOptionsFor("3.0").has("smtp.smtp_password")).toBe(false);
    expect(sensitiveOptionsFor("3.0").has("database.sql_alchemy_conn_async")).toBe(false);
    expect(sensitiveOptionsFor("3.1").has("database.sql_alchemy_conn_async")).toBe(true);
    expect(sensitiveOptionsFor("2.11").has("api_auth.jwt_secret")).toBe(false);
    expect(sensitiveOptionsFor("3.1").has("celery.broker_url")).toBe(true);
    expect(sensitiveOptionsFor("3.1").has("secrets.backend_kwargs")).toBe(false);
  });
});
