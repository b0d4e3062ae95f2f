/**
 * The library's entry point: the Airflow contract, the environment component and the pieces every
 * backend shares. Each backend is its own subpath (`airflow-secrets/aws`, `/vault`, `/gcp`,
 * `/azure`) so that importing the library never loads a cloud SDK the user did not install.
 */
export * from "./airflow";
export * from "./environment";
export * from "./backend";
export { BACKEND_NAMES, type BackendName } from "./registry";
export * from "./fernet";
export * from "./kubernetes";
