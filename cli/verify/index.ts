/**
 * `airflow-secrets verify --stack NAME [--via mirror]`: the DR drill's check. Every id the stack
 * declares is looked up in the backend the way Airflow's secrets backend looks it up, with the reader's
 * credentials, and compared with the stack's plan; each id is reported ok, missing, denied, altered,
 * stale or skipped (judge.ts says exactly when), and no value is ever printed. The stack is loaded as
 * `synth` and `inventory` load it; the store's address, mount, project or region come from the Airflow
 * configuration synth renders (`backend_kwargs`), so the drill reads where Airflow reads.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs, UsageError } from "../args";
import { VERIFY_USAGE } from "../usage";
import { backendStore, readStackTarget, StackTarget } from "../import/stackTarget";
import { locateStack } from "../synth/stackFile";
import { synthesize, SynthResult } from "../synth/synth";
import { BackendKind } from "../../components/airflow";
import { metadataServerToken, restSecretManagerClient } from "../../components/gcp/rotator/restClient";
import {
  DecryptedConfig,
  expectations,
  parseDecryptedConfig,
  StackDeclarations,
  StoreTarget,
} from "./expected";
import { judge, Verdict, VerdictStatus } from "./judge";
import {
  keyVaultRestReadClient,
  keyVaultStoreReader,
  secretManagerStoreReader,
  secretsManagerSdk,
  secretsManagerStoreReader,
  StoreReader,
  vaultKubernetesLogin,
  vaultStoreReader,
} from "./stores";

export interface VerifyIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: VerifyIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Which of the stack's stores is read: the active backend, or the standby (`mirror:`). */
export type Via = "primary" | "mirror";

/** What building a store reader needs; the default builds real clients from the caller's environment. */
export interface ReaderContext {
  kind: BackendKind;
  /** `backend_kwargs` of the Airflow configuration that reads this store. */
  backendKwargs: Record<string, unknown>;
  /** `--endpoint`: the store's address when it is not the configured one (a Key Vault URL, a proxy). */
  endpoint?: string;
  /** `--jwt-file`: the service-account token for Vault's Kubernetes login. */
  jwtFile?: string;
  env: NodeJS.ProcessEnv;
}

export interface VerifyDeps {
  readerFor?: (context: ReaderContext) => Promise<StoreReader>;
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
  /** Reads `--config-json -`. */
  readStdin?: () => Promise<string>;
}

export interface VerifyReport {
  stack: string;
  environment: string;
  via: Via;
  store: string;
  /** Whether secret fields were compared with decrypted values (`--config-json`) or only checked present. */
  secretValues: "compared" | "presence only";
  verdicts: Verdict[];
  findings: number;
}

const FINDINGS: ReadonlySet<VerdictStatus> = new Set(["missing", "denied", "altered", "stale", "error"]);

/** Airflow's default service-account token path, which hvac's Kubernetes auth reads. */
const DEFAULT_JWT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token";
const AZURE_IMDS_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token";

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

/** Real clients with the caller's credentials: the same stores, endpoints and identities Airflow uses. */
export async function defaultReader(context: ReaderContext): Promise<StoreReader> {
  const { kind, backendKwargs: kwargs, env } = context;
  switch (kind) {
    case "vault": {
      const address = context.endpoint ?? text(env.VAULT_ADDR) ?? text(kwargs.url);
      if (!address) throw new Error("no Vault address: set VAULT_ADDR or --endpoint");
      const namespace = text(kwargs.namespace) ?? text(env.VAULT_NAMESPACE);
      let token = text(env.VAULT_TOKEN);
      if (!token) {
        const role = text(kwargs.kubernetes_role);
        if (kwargs.auth_type !== "kubernetes" || !role)
          throw new Error("no Vault credentials: set VAULT_TOKEN (a token with the reader's policy)");
        const jwtFile = context.jwtFile ?? text(kwargs.kubernetes_jwt_path) ?? DEFAULT_JWT_PATH;
        if (!fs.existsSync(jwtFile))
          throw new Error(
            `no Vault credentials: set VAULT_TOKEN, or give the reader's service-account token with --jwt-file (${jwtFile} does not exist)`,
          );
        token = await vaultKubernetesLogin({
          address,
          role,
          jwt: fs.readFileSync(jwtFile, "utf8").trim(),
          authMount: text(kwargs.auth_mount_point),
          namespace,
        });
      }
      return vaultStoreReader({ address, token, mount: text(kwargs.mount_point) ?? "secret", namespace });
    }
    case "aws-secrets-manager": {
      const sdk = secretsManagerSdk();
      const region = text(kwargs.region_name) ?? text(env.AWS_REGION);
      return secretsManagerStoreReader(
        new sdk.SecretsManagerClient({
          ...(region ? { region } : {}),
          ...(context.endpoint ? { endpoint: context.endpoint } : {}),
        }),
      );
    }
    case "gcp-secret-manager": {
      const project = text(kwargs.project_id) ?? text(env.GOOGLE_CLOUD_PROJECT);
      if (!project) throw new Error("no GCP project: the Airflow configuration has no project_id");
      const token = text(env.GOOGLE_OAUTH_ACCESS_TOKEN) ?? text(env.CLOUDSDK_AUTH_ACCESS_TOKEN);
      return secretManagerStoreReader(
        restSecretManagerClient({
          getToken: token ? async () => token : metadataServerToken(),
          ...(context.endpoint ? { endpoint: context.endpoint } : {}),
        }),
        project,
      );
    }
    case "azure-key-vault": {
      const url = context.endpoint ?? text(env.AZURE_KEY_VAULT_URL) ?? text(kwargs.vault_url);
      if (!url) throw new Error("no Key Vault URL: pass --endpoint (pulumi stack output keyVaultUrl)");
      const token = text(env.AZURE_ACCESS_TOKEN);
      return keyVaultStoreReader(keyVaultRestReadClient(url, token ? async () => token : azureImdsToken()));
    }
    case "aws-ssm":
      throw new Error(
        "verify does not read SSM Parameter Store yet: it verifies Secrets Manager, Vault, GCP and Azure stores",
      );
    case "env":
      throw new Error(
        "the env backend keeps values in a Kubernetes Secret of the Airflow namespace, not a secrets store: nothing to look up",
      );
  }
}

/** A Key Vault token from the instance metadata service (AKS node or VM managed identity). */
function azureImdsToken(): () => Promise<string> {
  return async () => {
    const url = new URL(AZURE_IMDS_TOKEN_URL);
    url.searchParams.set("api-version", "2018-02-01");
    url.searchParams.set("resource", "https://vault.azure.net");
    const response = await fetch(url, { headers: { Metadata: "true" } });
    if (!response.ok)
      throw new Error(
        `no Azure credentials: set AZURE_ACCESS_TOKEN (az account get-access-token --resource https://vault.azure.net); the metadata service answered HTTP ${response.status}`,
      );
    const body = (await response.json()) as { access_token?: string };
    if (!body.access_token) throw new Error("the Azure metadata service returned no access_token");
    return body.access_token;
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The store `--via` names: the active backend, or the standby of `airflow-secrets:mirror` with the names
 * of its own rules and the Airflow configuration synth renders for it (output `mirror`, not active).
 */
export function storeFor(
  via: Via,
  stack: string,
  target: StackTarget,
  synth: SynthResult,
): { store: StoreTarget; backendKwargs: Record<string, unknown> } {
  const common = { environment: target.environment, airflow: target.airflow };
  if (via === "primary")
    return {
      store: { kind: target.kind, profile: target.profile, layout: target.layout, ...common },
      backendKwargs: (synth.airflowConfig?.backendKwargs ?? {}) as Record<string, unknown>,
    };
  const config = (target.document.toJS()?.config ?? {}) as Record<string, unknown>;
  const block = config["airflow-secrets:mirror"];
  if (!isRecord(block) || typeof block.backend !== "string")
    throw new UsageError(
      `stack ${stack} has no standby backend to verify: --via mirror needs an airflow-secrets:mirror setting`,
    );
  const settings = isRecord(block[block.backend]) ? (block[block.backend] as Record<string, unknown>) : {};
  const rendered = synth.outputs.mirror as { airflowConfig?: { backendKwargs?: unknown } } | undefined;
  if (!isRecord(rendered?.airflowConfig?.backendKwargs))
    throw new Error(
      `synth rendered no Airflow configuration for the standby of stack ${stack} (output mirror)`,
    );
  return {
    store: { ...backendStore(block.backend, settings, target.environment), ...common, standby: true },
    backendKwargs: rendered.airflowConfig.backendKwargs,
  };
}

function declarationsOf(target: StackTarget): StackDeclarations {
  const config = (target.document.toJS()?.config ?? {}) as Record<string, unknown>;
  const list = config["airflow-secrets:config"];
  return {
    connections: target.connections,
    variables: target.variables,
    config: Array.isArray(list) ? (list as Record<string, unknown>[]) : [],
    fernet: config["airflow-secrets:fernet"] !== undefined,
  };
}

/**
 * What Airflow does with credentials that verify leaves to the caller, so the drill reads with the
 * reader's rights only when the caller arranges it.
 */
function credentialNotes(
  kind: BackendKind,
  kwargs: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): string[] {
  const notes: string[] = [];
  if (kind.startsWith("aws-") && text(kwargs.role_arn))
    notes.push(
      `Airflow assumes ${String(kwargs.role_arn)} (backend_kwargs.role_arn); verify reads with your credentials as they are: run it under that role (an AWS profile with role_arn, or aws sts assume-role) for the reader's view`,
    );
  if (kind === "vault" && text(kwargs.verify) && !text(env.NODE_EXTRA_CA_CERTS))
    notes.push(
      `Airflow checks Vault's certificate against ${String(kwargs.verify)}; verify uses Node's trust store: add that file with NODE_EXTRA_CA_CERTS`,
    );
  return notes;
}

/** Looks every id up, a few at a time, keeping the declaration order. */
async function judgeAll(
  kind: BackendKind,
  expected: ReturnType<typeof expectations>,
  reader: StoreReader,
  now: Date,
): Promise<Verdict[]> {
  const verdicts: Verdict[] = new Array(expected.length);
  let next = 0;
  const worker = async () => {
    while (next < expected.length) {
      const index = next++;
      verdicts[index] = await judge(kind, expected[index], reader, now);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, expected.length) }, worker));
  return verdicts;
}

export function verifyText(report: VerifyReport): string {
  const width = (pick: (v: Verdict) => string) => Math.max(0, ...report.verdicts.map((v) => pick(v).length));
  const [kindWidth, idWidth, nameWidth] = [width((v) => v.kind), width((v) => v.id), width((v) => v.name)];
  const lines = [
    `verify ${report.stack} (${report.environment}): ${report.store}, ${report.via} store; secret values ${report.secretValues === "compared" ? "compared (--config-json)" : "checked for presence only (no --config-json)"}`,
    ...report.verdicts.map((v) =>
      `  ${v.status.padEnd(7)}  ${v.kind.padEnd(kindWidth)}  ${v.id.padEnd(idWidth)}  ${v.name.padEnd(nameWidth)}${v.detail ? `  ${v.detail}` : ""}`.trimEnd(),
    ),
  ];
  const counts = new Map<string, number>();
  for (const v of report.verdicts)
    if (FINDINGS.has(v.status)) counts.set(v.status, (counts.get(v.status) ?? 0) + 1);
  lines.push(
    report.findings === 0
      ? `${report.verdicts.length} ids: no finding. No value was printed.`
      : `${report.verdicts.length} ids: ${report.findings} finding${report.findings === 1 ? "" : "s"} (${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}). No value was printed.`,
  );
  return `${lines.join("\n")}\n`;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let data = "";
  for await (const chunk of stream) data += chunk.toString();
  return data;
}

export async function runVerify(
  argv: readonly string[],
  io: VerifyIo = processIo,
  deps: VerifyDeps = {},
): Promise<number> {
  let args;
  let via: Via;
  try {
    args = parseArgs(argv, {
      values: ["stack", "config-file", "cwd", "via", "config-json", "endpoint", "jwt-file"],
      switches: ["json"],
    });
    if (!args.values.stack && !args.values["config-file"])
      throw new UsageError("--stack NAME or --config-file FILE is required");
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const requested = args.values.via ?? "primary";
    if (requested !== "primary" && requested !== "mirror")
      throw new UsageError(`--via must be primary or mirror, not "${requested}"`);
    via = requested;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`error: ${error.message}\n\n${VERIFY_USAGE}\n`);
    return 2;
  }
  const env = deps.env ?? process.env;
  const cwd = args.values.cwd ?? process.cwd();
  let report: VerifyReport;
  try {
    const { project, configFile, stack } = locateStack({
      stack: args.values.stack,
      configFile: args.values["config-file"],
      cwd,
    });
    let decrypted: DecryptedConfig | undefined;
    const configJson = args.values["config-json"];
    if (configJson !== undefined) {
      const source = configJson === "-" ? "stdin" : configJson;
      const content =
        configJson === "-"
          ? await (deps.readStdin ?? (() => readAll(process.stdin)))()
          : fs.readFileSync(path.resolve(cwd, configJson), "utf8");
      decrypted = parseDecryptedConfig(content, source);
    }
    const target = readStackTarget(configFile);
    const synth = await synthesize({ project, stack, configFile });
    const { store, backendKwargs } = storeFor(via, stack, target, synth);
    const expected = expectations(store, declarationsOf(target), decrypted);
    for (const note of credentialNotes(store.kind, backendKwargs, env)) io.stderr(`note: ${note}\n`);
    const reader = await (deps.readerFor ?? defaultReader)({
      kind: store.kind,
      backendKwargs,
      endpoint: args.values.endpoint,
      jwtFile: args.values["jwt-file"] ? path.resolve(cwd, args.values["jwt-file"]) : undefined,
      env,
    });
    const verdicts = await judgeAll(store.kind, expected, reader, (deps.now ?? (() => new Date()))());
    report = {
      stack,
      environment: target.environment,
      via,
      store: store.profile.title,
      secretValues: decrypted ? "compared" : "presence only",
      verdicts,
      findings: verdicts.filter((v) => FINDINGS.has(v.status)).length,
    };
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n`);
    return 2;
  }
  io.stdout(args.switches.has("json") ? `${JSON.stringify(report, null, 2)}\n` : verifyText(report));
  return report.findings === 0 ? 0 : 1;
}
