import { noProdReferencesOutsideProd as policy } from "../../policies/policies";
import { resource, secret, violations, environment } from "./harness";

describe("no-prod-references-outside-prod", () => {
  it("passes a dev stack that only names dev paths and hosts", async () => {
    const secretResource = resource("dev", "aws:secretsmanager/secret:Secret", "warehouse", {
      name: "airflow/dev/connections/warehouse",
      tags: { environment: "dev", team: "products" },
      description: "production-like replica for development",
    });
    expect(await violations(policy, [secretResource])).toEqual([]);
  });

  it("reports production paths, prefixes, ARNs and hosts by property path without printing the value", async () => {
    const kv = resource("dev", "vault:kv/secretV2:SecretV2", "warehouse", {
      mount: "airflow",
      name: "dev/connections/warehouse",
      dataJson: secret(
        JSON.stringify({ conn_type: "postgres", host: "warehouse.prod.internal", password: "S3cret!" }),
      ),
    });
    const role = resource("staging", "aws:iam/rolePolicy:RolePolicy", "reader", {
      policy: JSON.stringify({
        Statement: [
          {
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: "arn:aws:secretsmanager:eu-west-1:1:secret:airflow/prod/*",
          },
        ],
      }),
    });
    const found = await violations(policy, [kv, role]);
    expect(found).toEqual([
      '"warehouse" property dataJson references the "prod" environment from environment "dev".',
      '"reader" property policy references the "prod" environment from environment "staging".',
    ]);
    expect(found.join("\n")).not.toContain("S3cret!");
  });

  it("does not apply to production environments, whatever the stack is called", async () => {
    const prodSecret = (stack: string) =>
      resource(stack, "aws:secretsmanager/secret:Secret", "w", { name: "airflow/prod/connections/w" });
    expect(await violations(policy, [prodSecret("prod")])).toEqual([]);
    for (const stack of ["eu-prod", "production", "live"]) {
      const component = environment(stack, { environment: "prod", production: true });
      expect(await violations(policy, [component, prodSecret(stack)])).toEqual([]);
    }
  });

  it("uses the configured production environments and ignored properties", async () => {
    const tagged = resource("dev", "aws:secretsmanager/secret:Secret", "w", {
      name: "airflow/dev/connections/w",
      tags: { costCenter: "shared-prod-platform" },
    });
    expect(await violations(policy, [tagged])).toEqual([
      '"w" property tags.costCenter references the "prod" environment from environment "dev".',
    ]);
    expect(
      await violations(policy, [tagged], {
        "no-prod-references-outside-prod": { ignoredProperties: ["tags"] },
      }),
    ).toEqual([]);
    const live = resource("dev", "aws:secretsmanager/secret:Secret", "w", {
      name: "airflow/live/connections/w",
    });
    expect(
      await violations(policy, [live], {
        "no-prod-references-outside-prod": { productionEnvironments: ["live"] },
      }),
    ).toEqual(['"w" property name references the "live" environment from environment "dev".']);
  });
});
