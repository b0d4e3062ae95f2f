/**
 * The contract folder's internal barrel: the backend folders, the CLI and the tests import from here
 * by relative path, validation helpers included. It is not a package entry point: the public
 * `airflow-secrets/airflow` subpath is `./public.ts`, which names what users may rely on.
 */
export * from "./problems";
export * from "./declarations";
export * from "./serialize";
export * from "./backends";
export * from "./sensitiveConfig";
export * from "./validate";
export * from "./lookupPattern";
export * from "./airflowConfig";
export * from "./plan";
export * from "./fernet";
export * from "./versions";
export * from "./fidelity";
export * from "./mwaa";
export * from "./sensitiveOptions.generated";
