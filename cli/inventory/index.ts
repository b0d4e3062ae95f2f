/**
 * `airflow-secrets inventory --stack NAME [--format md|json]`: every declared id with the backend,
 * the exact name Airflow looks up, the stored format, rotation and who reads it — Markdown for a
 * pull-request comment, JSON for tools — and, with `--dags`, the lookup-cost estimate. Airflow's UI
 * cannot list what lives in a secrets backend; this is that list, from the same contract and the
 * same synth that deploy it.
 */
import * as path from "path";
import {
  Problems,
  SecretKind,
  configKey as configLookupKey,
  rotationMasterIds,
  tryPlanSecrets,
} from "../../components/airflow";
import { parseArgs, UsageError } from "../args";
import { INVENTORY_USAGE } from "../usage";
import { CostEstimate, costText } from "../cost/estimate";
import { costOptions, estimateStackCost } from "../cost/stackCost";
import { readStackTarget, StackTarget } from "../import/stackTarget";
import { locateStack } from "../synth/stackFile";
import { synthesize, SynthResult } from "../synth/synth";

export interface InventoryIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: InventoryIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export interface InventoryRow {
  kind: SecretKind;
  id: string;
  /** The exact name or path Airflow looks up in the backend. */
  name: string;
  format: string;
  rotation?: { strategy: string; everyDays: number; masterConnId?: string };
  readBy: string;
}

export interface Inventory {
  stack: string;
  environment: string;
  backend: string;
  /** Who reads this environment's secrets: Airflow's Kubernetes service account and the backend's reader. */
  readers: string[];
  secrets: InventoryRow[];
  lookupCost?: CostEstimate;
}

/** `secure:` values stay placeholders: the inventory never needs (or shows) a value. */
function withoutSecure(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecure);
  if (typeof value === "object" && value !== null) {
    if (Object.keys(value).length === 1 && "secure" in value) return "[secret]";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecure(v)]));
  }
  return value;
}

/** The reader identities the backend reports in its stack outputs, plus the pods' service account. */
function readersOf(target: StackTarget, synth: SynthResult): string[] {
  const config = target.document.toJS()?.config ?? {};
  const kubernetes = (config["airflow-secrets:kubernetes"] ?? {}) as
    { namespace?: string; serviceAccount?: string } | false;
  // Off Kubernetes (`kubernetes: false`) the readers are the principals the backend's outputs name.
  const readers =
    kubernetes === false
      ? []
      : [
          `Kubernetes service account ${kubernetes.namespace ?? "airflow"}/${kubernetes.serviceAccount ?? "airflow"}`,
        ];
  for (const [key, value] of Object.entries(synth.outputs).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (
      typeof value === "string" &&
      /reader|kubernetesRole|identity|serviceAccountEmail|principal|clientId/i.test(key)
    )
      readers.push(`${key} ${value}`);
  }
  return readers;
}

export function buildInventory(stack: string, target: StackTarget, synth: SynthResult): Inventory {
  const config = target.document.toJS()?.config ?? {};
  const declarations = {
    connections: withoutSecure(target.connections) as never[],
    variables: withoutSecure(target.variables) as never[],
    config: withoutSecure(
      Array.isArray(config["airflow-secrets:config"]) ? config["airflow-secrets:config"] : [],
    ) as never[],
  };
  const problems = new Problems();
  const plan = tryPlanSecrets(
    {
      backend: target.kind,
      environment: target.environment,
      declarations,
      airflow: target.airflow,
      layout: target.layout,
    },
    problems,
  );
  problems.throwIfAny(`Stack ${stack}`);
  const format = synth.airflowConfig?.connectionFormat ?? "json";
  const readers = readersOf(target, synth);
  const masters = rotationMasterIds(target.connections as never);
  const formatOf = (kind: SecretKind) =>
    kind === "connection"
      ? target.kind === "vault"
        ? format === "uri"
          ? "KV v2 {conn_uri}"
          : "KV v2 connection fields"
        : format === "uri"
          ? "URI"
          : "JSON"
      : target.kind === "vault"
        ? 'KV v2 {"value"}'
        : "string";
  const rows: InventoryRow[] = plan!.secrets.map((secret) => {
    const rotation = secret.connection?.rotation;
    return {
      kind: secret.kind,
      id: secret.id,
      name: secret.name,
      format: formatOf(secret.kind),
      ...(rotation ? { rotation: { ...rotation } } : {}),
      readBy:
        secret.kind === "connection" && masters.has(secret.id)
          ? "rotation function only (left out of Airflow's lookup pattern)"
          : target.kind === "env"
            ? "Airflow's pods (environment)"
            : "Airflow's reader",
    };
  });
  if (config["airflow-secrets:fernet"] !== undefined) {
    rows.push({
      kind: "config",
      id: "fernet_key",
      name:
        target.kind === "env"
          ? "AIRFLOW__CORE__FERNET_KEY"
          : target.profile.storageName(
              target.layout,
              "config",
              configLookupKey({ section: "core", option: "fernet_key", value: "" }, target.kind),
            ),
      format: "string",
      readBy: target.kind === "env" ? "Airflow's pods (environment)" : "Airflow's reader",
    });
  }
  return { stack, environment: target.environment, backend: target.profile.title, readers, secrets: rows };
}

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

export function inventoryMarkdown(inventory: Inventory): string {
  const lines = [
    `### Secrets of stack ${code(inventory.stack)} (${inventory.environment}, ${inventory.backend})`,
    "",
    `Read by: ${inventory.readers.map((r) => r.replace(/(\S+)$/, (m) => code(m))).join("; ")}.`,
    "",
    "| kind | id | stored as | format | rotation | read by |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of inventory.secrets) {
    const rotation = row.rotation
      ? `${row.rotation.strategy}, every ${row.rotation.everyDays} days${row.rotation.masterConnId ? ` (master ${code(row.rotation.masterConnId)})` : ""}`
      : "—";
    lines.push(
      `| ${row.kind} | ${code(row.id)} | ${code(row.name)} | ${row.format} | ${rotation} | ${row.readBy} |`,
    );
  }
  if (inventory.lookupCost) lines.push("", "```", ...costText(inventory.lookupCost), "```");
  return `${lines.join("\n")}\n`;
}

export async function runInventory(argv: readonly string[], io: InventoryIo = processIo): Promise<number> {
  let args;
  let cost;
  try {
    args = parseArgs(argv, {
      values: ["stack", "config-file", "cwd", "format", "dags", "prices", "parse-interval", "dag-processors"],
      switches: ["help"],
    });
    if (args.switches.has("help")) {
      io.stdout(`${INVENTORY_USAGE}\n`);
      return 0;
    }
    if (!args.values.stack && !args.values["config-file"])
      throw new UsageError("--stack NAME or --config-file FILE is required");
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const format = args.values.format ?? "md";
    if (format !== "md" && format !== "json")
      throw new UsageError(`--format must be md or json, not "${format}"`);
    cost = costOptions(args.values);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`error: ${error.message}\n\n${INVENTORY_USAGE}\n`);
    return 2;
  }
  try {
    const cwd = args.values.cwd ?? process.cwd();
    const { project, configFile, stack } = locateStack({
      stack: args.values.stack,
      configFile: args.values["config-file"],
      cwd,
    });
    const target = readStackTarget(configFile);
    const synth = await synthesize({ project, stack, configFile });
    const inventory = buildInventory(stack, target, synth);
    if (cost.dags.length > 0) {
      const { estimate, errors } = await estimateStackCost(target, synth.airflowConfig, {
        ...cost,
        dags: cost.dags.map((p) => path.resolve(cwd, p)),
      });
      for (const error of errors) io.stderr(`warning: cannot read DAG file ${error}\n`);
      inventory.lookupCost = estimate;
    }
    io.stdout(
      args.values.format === "json"
        ? `${JSON.stringify(inventory, null, 2)}\n`
        : inventoryMarkdown(inventory),
    );
    return 0;
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n`);
    return 1;
  }
}
