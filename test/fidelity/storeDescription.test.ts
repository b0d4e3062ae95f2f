/**
 * A description Airflow would not read back from the stored value (AWS Secrets Manager drops it from
 * JSON; no backend reads a variable's) is kept as the AWS secret's / parameter's own Description,
 * which is also what `synth` shows for that resource.
 */
import { awsEnvironmentArgs, deployEnvironments, resourcesOf } from "../aws/harness";
import type { AirflowSecretsEnvironmentConfigArgs } from "../../components/environment";

function withDescriptions(args: AirflowSecretsEnvironmentConfigArgs): AirflowSecretsEnvironmentConfigArgs {
  const declarations = args.declarations!;
  return {
    ...args,
    declarations: {
      ...declarations,
      connections: declarations.connections!.map((c) =>
        c.conn_id === "warehouse" ? { ...c, description: "Analytics warehouse" } : c,
      ),
      variables: declarations.variables!.map((v) => ({ ...v, description: "Where alerts go" })),
    },
  };
}

describe.each([
  ["secretsmanager", "aws:secretsmanager/secret:Secret"],
  ["ssm", "aws:ssm/parameter:Parameter"],
])("AWS %s keeps declared descriptions as the store's own", (store, type) => {
  it("writes the declared description, and the default one where nothing was declared", async () => {
    const deployed = await deployEnvironments(
      `desc-${store}`,
      withDescriptions(
        awsEnvironmentArgs("dev", store === "ssm" ? { store, deployerRoleArns: undefined } : { store }),
      ),
    );
    const byName = new Map(
      resourcesOf(deployed.resources, type).map((r) => [String(r.inputs.name), r.inputs]),
    );
    const prefix = store === "ssm" ? "/airflow/dev" : "airflow/dev";
    expect(byName.get(`${prefix}/connections/warehouse`)?.description).toBe("Analytics warehouse");
    expect(byName.get(`${prefix}/variables/alert_email`)?.description).toBe("Where alerts go");
    expect(byName.get(`${prefix}/connections/slack_alerts`)?.description).toBe(
      'Airflow connection "slack_alerts" (dev)',
    );
  });
});
