export * from "./airflowServiceAccount";
export * from "./airflowConfigMap";
export * from "./envVarSecrets";
