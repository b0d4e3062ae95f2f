import * as pulumi from "@pulumi/pulumi";
import { AirflowSecretsEnvironment } from "../components/environment";
import { environmentArgsFromConfig } from "./config";

/** The one program every environment runs; what differs lives in Pulumi.<env>.yaml. */
export function deployEnvironment(): Record<string, pulumi.Input<unknown>> {
  const args = environmentArgsFromConfig();
  const environment = AirflowSecretsEnvironment.fromConfig(args.environment, args);
  return {
    environment: args.environment,
    backend: args.backend,
    airflowConfig: environment.airflowConfig,
    airflowEnv: environment.airflowConfig.env,
    airflowCfg: environment.airflowConfig.cfg,
    serviceAccount: environment.serviceAccount.name,
    configMap: environment.configMap.name,
    helmValues: environment.helmValues,
    ...(environment.fernetNextStep ? { fernetNextStep: environment.fernetNextStep } : {}),
    ...environment.backendOutputs,
  };
}
