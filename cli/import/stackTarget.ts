/**
 * What an import needs to know about the stack it writes into: the stack file as an editable YAML
 * document (comments and order kept), the backend kind and layout that decide storage names, and
 * what the file declares already. Names are decided by the contract (`components/airflow`); this
 * module only picks the contract's backend profile and the stack's layout overrides.
 */
import * as fs from "fs";
import { Document, YAMLSeq, isMap, isSeq, parseDocument } from "yaml";
import {
  AirflowSettings,
  BackendKind,
  BackendProfile,
  SecretsLayout,
  backendProfile,
} from "../../components/airflow";
import { isProduction } from "../../components/core/production";
import { CONFIG_NAMESPACE } from "../../stacks/config";

export interface StackTarget {
  file: string;
  document: Document;
  environment: string;
  production: boolean;
  /** `airflow-secrets:backend`: env, vault, aws, gcp or azure. */
  backend: string;
  kind: BackendKind;
  profile: BackendProfile;
  layout: SecretsLayout;
  airflow: AirflowSettings;
  connections: Record<string, unknown>[];
  variables: Record<string, unknown>[];
}

export const configKey = (name: string) => `${CONFIG_NAMESPACE}:${name}`;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The backend's own layout overrides, in each backend's settings vocabulary. */
function layoutOverrides(backend: string, settings: Record<string, unknown>): Partial<SecretsLayout> {
  const layout = isRecord(settings.layout) ? settings.layout : {};
  if (backend === "vault") {
    const kv = isRecord(settings.kv) ? settings.kv : {};
    const pick = (value: unknown) => (typeof value === "string" ? value : undefined);
    return Object.fromEntries(
      Object.entries({
        mountPoint: pick(kv.mount),
        connectionsPrefix: pick(layout.connectionsPath),
        variablesPrefix: pick(layout.variablesPath),
        configPrefix: pick(layout.configPath),
      }).filter(([, v]) => v !== undefined),
    );
  }
  return layout as Partial<SecretsLayout>;
}

function kindOf(backend: string, settings: Record<string, unknown>): BackendKind {
  switch (backend) {
    case "env":
      return "env";
    case "vault":
      return "vault";
    case "aws":
      return settings.store === "ssm" ? "aws-ssm" : "aws-secrets-manager";
    case "gcp":
      return "gcp-secret-manager";
    case "azure":
      return "azure-key-vault";
    default:
      throw new Error(`backend: "${backend}" is not a known backend (known: env, vault, aws, gcp, azure)`);
  }
}

/**
 * The store a backend block describes: the contract's kind and profile and the layout names follow
 * (the primary's `<backend>:` block, or the standby's `mirror.<backend>:` block).
 */
export function backendStore(
  backend: string,
  settings: Record<string, unknown>,
  environment: string,
): { kind: BackendKind; profile: BackendProfile; layout: SecretsLayout } {
  const kind = kindOf(backend, settings);
  const profile = backendProfile(kind);
  return {
    kind,
    profile,
    layout: { ...profile.defaultLayout(environment), ...layoutOverrides(backend, settings) },
  };
}

export function readStackTarget(file: string): StackTarget {
  if (!fs.existsSync(file)) throw new Error(`stack config file ${file} does not exist`);
  const document = parseDocument(fs.readFileSync(file, "utf8"));
  if (document.errors.length > 0) throw new Error(`${file} is not valid YAML: ${document.errors[0].message}`);
  const config = document.toJS()?.config;
  if (!isRecord(config)) throw new Error(`stack config file ${file} has no config: mapping`);
  const environment = config[configKey("environment")];
  const backend = config[configKey("backend")];
  if (typeof environment !== "string" || typeof backend !== "string")
    throw new Error(
      `stack config file ${file} must set ${configKey("environment")} and ${configKey("backend")}`,
    );
  const settings = isRecord(config[configKey(backend)])
    ? (config[configKey(backend)] as Record<string, unknown>)
    : {};
  const { kind, profile, layout } = backendStore(backend, settings, environment);
  const production = config[configKey("production")];
  const list = (name: string) =>
    Array.isArray(config[configKey(name)]) ? (config[configKey(name)] as unknown[]).filter(isRecord) : [];
  return {
    file,
    document,
    environment,
    production: isProduction({
      // The stack schema reads true/"true" alike (booleanSetting).
      production:
        production === true || production === "true"
          ? true
          : production === false || production === "false"
            ? false
            : undefined,
      environment,
    }),
    backend,
    kind,
    profile,
    layout,
    airflow: isRecord(config[configKey("airflow")])
      ? (config[configKey("airflow")] as unknown as AirflowSettings)
      : { version: "2.10" },
    connections: list("connections"),
    variables: list("variables"),
  };
}

/** Appends declarations to `airflow-secrets:<list>`, creating the list at the end of `config` if needed. */
export function appendToList(
  document: Document,
  list: string,
  items: ReadonlyArray<{ declaration: unknown; comment?: string }>,
): void {
  if (items.length === 0) return;
  const config = document.get("config");
  if (!isMap(config)) throw new Error("the stack file has no config: mapping");
  const existing: unknown = config.get(configKey(list), true);
  if (existing !== undefined && existing !== null && !isSeq(existing))
    throw new Error(`${configKey(list)} is not a list`);
  const seq = isSeq(existing) ? existing : new YAMLSeq();
  if (!isSeq(existing)) config.set(configKey(list), seq);
  for (const item of items) {
    const node = document.createNode(item.declaration);
    if (item.comment !== undefined) node.commentBefore = ` ${item.comment.replace(/\n/g, " ")}`;
    seq.add(node);
  }
}
