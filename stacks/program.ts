import * as pulumi from "@pulumi/pulumi";
import { AirflowSecretsEnvironment, AirflowSecretsEnvironmentConfigArgs } from "../components/environment";
import type { WorkloadProviderOptions } from "../components/backend";
import { environmentArgsFromConfig } from "./config";

/**
 * With `aws.accounts`, one explicit AWS provider per account (role to assume, region), built only
 * from an accounts block whose rules pass: otherwise the environment reports every problem before
 * anything, a provider included, is registered. The AWS SDK loads only for AWS stacks.
 */
function accountProviders(args: AirflowSecretsEnvironmentConfigArgs): WorkloadProviderOptions | undefined {
  if (args.backend !== "aws") return undefined;
  const settings = (args.backendSettings ?? {}) as { region?: unknown; accounts?: unknown };
  if (settings.accounts === undefined || settings.accounts === null || typeof settings.region !== "string")
    return undefined;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const accounts = require("../components/aws/accounts") as typeof import("../components/aws/accounts");
  const { Problems } = require("../components/airflow") as typeof import("../components/airflow");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const problems = new Problems();
  accounts.checkAccounts(settings as Parameters<typeof accounts.checkAccounts>[0], problems);
  if (problems.list.length > 0) return undefined;
  const providers = accounts.awsAccountProviders(
    args.environment,
    settings.region,
    settings.accounts as Parameters<typeof accounts.awsAccountProviders>[2],
  );
  return { providers: { aws: providers.secrets }, workloadProviders: { aws: providers.workload } };
}

/** The one program every environment runs; what differs lives in Pulumi.<env>.yaml. */
export function deployEnvironment(): Record<string, pulumi.Input<unknown>> {
  const args = environmentArgsFromConfig();
  const environment = AirflowSecretsEnvironment.fromConfig(args.environment, args, accountProviders(args));
  return {
    environment: args.environment,
    backend: args.backend,
    airflowConfig: environment.airflowConfig,
    airflowEnv: environment.airflowConfig.env,
    airflowCfg: environment.airflowConfig.cfg,
    ...(environment.serviceAccount ? { serviceAccount: environment.serviceAccount.name } : {}),
    // Each Airflow component's service account (chart values key → name): the identity binds each.
    ...(environment.serviceAccount
      ? {
          serviceAccounts: Object.fromEntries(
            Object.entries(environment.serviceAccounts).map(([component, account]) => [
              component,
              account!.name,
            ]),
          ),
        }
      : {}),
    ...(environment.configMap ? { configMap: environment.configMap.name } : {}),
    ...(environment.helmValues ? { helmValues: environment.helmValues } : {}),
    ...(environment.mwaaConfiguration
      ? {
          mwaaConfigurationOptions: environment.mwaaConfiguration.options,
          mwaaOmittedOptions: environment.mwaaConfiguration.omitted,
        }
      : {}),
    ...(environment.fernetNextStep ? { fernetNextStep: environment.fernetNextStep } : {}),
    ...environment.backendOutputs,
    // The standby's configuration, rendered but not active, and its outputs (README "Standby backend").
    ...(environment.mirror ? { mirror: environment.mirror } : {}),
    // Secret: `pulumi stack output emergencyConnections --show-secrets` (README "Emergency subset").
    ...(environment.emergencyConnections ? { emergencyConnections: environment.emergencyConnections } : {}),
  };
}
