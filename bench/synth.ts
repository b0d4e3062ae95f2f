/**
 * Synth cost per backend, measured the way `airflow-secrets synth` runs a stack: the shipped stack
 * file of each backend with its connections replaced by N generated ones, run by the stack program
 * under the offline mock runtime. Three variants, alternated within every repeat:
 *   - library: the stack program;
 *   - minimal raw: the provider calls a careful user would write for the same stored secrets with
 *     the fewest resources: each secret as the library stores it (name, value, key, replicas, tags
 *     or labels, description), but no validation, no identities, no per-environment resources;
 *   - raw, same resources: every custom resource the library registered, replayed through the
 *     providers' SDK classes (what the library's own code costs on top of Pulumi).
 * Each variant runs in a process of its own (synthWorker.ts), as a synth does: in one shared process
 * the small raw program ran on the Pulumi and protobuf code the library's runs had optimised, and the
 * library paid for the raw runs' effect on that code (measured: raw 55-63 ms there against 65-68 ms
 * alone, library 105-107 against 91-97, env n = 1,000). The parent alternates the processes, so
 * both meet the same machine.
 * CPU time is `process.cpuUsage()` (user + system, every thread of the worker); peak heap is the
 * largest `heapUsed` sampled while the library's program runs. Prints ratios, asserts nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { ChildProcess, fork } from "child_process";
import * as path from "path";
import * as v8 from "v8";
import { installMocks, isSecretValue, RecordedResource, withoutStackCapture } from "../cli/synth/mockRuntime";
import { findProject, readStackConfig } from "../cli/synth/stackFile";

/** The repository (the benchmarks run compiled from bench/out/, so not relative to this file). */
const ROOT = findProject().root;
export const PROJECT = "airflow-secrets";
const CONNECTIONS_KEY = `${PROJECT}:connections`;

export interface SynthBenchOptions {
  sizes: number[];
  repeats: number;
  /**
   * Repeats at n >= 10,000, where one library run takes 30 s to several minutes (Azure): the full
   * bench stays within an hour. Default: the same as `repeats`.
   */
  largeRepeats?: number;
  /** Exactly `repeats` (and `largeRepeats`) runs, none added for short runs. */
  repeatsExact?: boolean;
  /** Only these backends (default: all). */
  backends?: string[];
}

interface BackendCase {
  backend: string;
  /** The shipped stack file whose settings the library run uses. */
  stackFile: string;
  /** Fewest resources per connection that store it with the same least privilege. */
  minimum: number;
  /** The same for a rotated connection. */
  rotatedMinimum: number;
  /** What the minimal raw version registers for the declared connections (read from the same config). */
  minimalRaw: (connections: Declared[], environment: string) => void;
}

/** Generated connections, the same in every variant: a database connection with a password. */
function connection(i: number, environment: string, rotated: boolean): Record<string, unknown> {
  return {
    conn_id: `conn_${i}`,
    conn_type: "postgres",
    host: `db${i}.${environment}.internal`,
    port: 5432,
    schema: "analytics",
    login: `user_${i}`,
    password: `password-${environment}-${i}`,
    extra: { sslmode: "require" },
    ...(rotated ? { rotation: { strategy: "single-user", everyDays: 30 } } : {}),
  };
}

export type Declared = Record<string, unknown> & { conn_id: string };

/** The value a careful user would store: Airflow's JSON connection form, no validation. */
function rawJson(declared: Declared): string {
  const { conn_id: _id, rotation: _rotation, ...fields } = declared;
  return JSON.stringify(fields);
}

/** The labels (tags) the library stores on each connection's secret, which the same stored secret carries. */
function labels(environment: string): Record<string, string> {
  return {
    "airflow-kind": "connection",
    "airflow-secrets-environment": environment,
    "managed-by": "airflow-secrets",
    owner: "data-platform",
  };
}

/** The shipped stack file's flat config with `count` generated connections added to its own. */
export function stackConfig(file: string, count: number, rotated: boolean) {
  const { config, secretKeys } = readStackConfig(path.join(ROOT, file), PROJECT);
  const environment = config[`${PROJECT}:environment`];
  // The stack's own connections stay (its rotation settings need the rotated ones); N are added.
  const shipped = JSON.parse(config[CONNECTIONS_KEY] ?? "[]") as unknown[];
  config[CONNECTIONS_KEY] = JSON.stringify([
    ...shipped,
    ...Array.from({ length: count }, (_, i) => connection(i, environment, rotated)),
  ]);
  return { environment, config, secretKeys: [...new Set([...secretKeys, CONNECTIONS_KEY])] };
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const load = {
  aws: () => require("@pulumi/aws") as typeof import("@pulumi/aws"),
  gcp: () => require("@pulumi/gcp") as typeof import("@pulumi/gcp"),
  azure: () => require("@pulumi/azure-native") as typeof import("@pulumi/azure-native"),
  vault: () => require("@pulumi/vault") as typeof import("@pulumi/vault"),
  k8s: () => require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes"),
  program: () => require("../stacks/program") as typeof import("../stacks/program"),
};
/* eslint-enable @typescript-eslint/no-require-imports */

export const BACKENDS: BackendCase[] = [
  {
    backend: "env",
    stackFile: "stacks/Pulumi.dev.yaml",
    minimum: 0,
    rotatedMinimum: 0,
    minimalRaw(connections, environment) {
      const k8s = load.k8s();
      const data: Record<string, string> = {};
      for (const conn of connections) data[`AIRFLOW_CONN_${conn.conn_id.toUpperCase()}`] = rawJson(conn);
      new k8s.core.v1.Secret("raw", {
        metadata: { name: `airflow-${environment}-secrets`, namespace: `airflow-${environment}` },
        stringData: pulumi.secret(data),
      });
    },
  },
  {
    backend: "vault",
    stackFile: "stacks/Pulumi.staging.yaml",
    minimum: 1,
    rotatedMinimum: 1,
    minimalRaw(connections, environment) {
      const vault = load.vault();
      connections.forEach((conn, i) => {
        new vault.kv.SecretV2(`raw-${i}`, {
          mount: "airflow",
          name: `${environment}/connections/${conn.conn_id}`,
          dataJson: pulumi.secret(rawJson(conn)),
          disableRead: true, // a write-only CI identity cannot read back
          deleteAllVersions: true,
          customMetadata: { data: labels(environment) },
        });
      });
    },
  },
  {
    backend: "aws",
    stackFile: "stacks/Pulumi.prod.yaml",
    minimum: 2,
    rotatedMinimum: 3,
    minimalRaw(connections, environment) {
      const aws = load.aws();
      const policy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Deny",
            Principal: "*",
            Action: "secretsmanager:GetSecretValue",
            Resource: "*",
            Condition: { ArnNotEquals: { "aws:PrincipalArn": ["arn:aws:iam::123456789012:role/reader"] } },
          },
        ],
      });
      connections.forEach((conn, i) => {
        const secret = new aws.secretsmanager.Secret(`raw-${i}`, {
          name: `airflow/${environment}/connections/${conn.conn_id}`,
          description: `Airflow connection "${conn.conn_id}" (${environment})`,
          kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/raw",
          replicas: [{ region: "eu-central-1", kmsKeyId: "arn:aws:kms:eu-central-1:123456789012:key/raw" }],
          recoveryWindowInDays: 30,
          policy,
          tags: { ...labels(environment), "cost-center": "data-platform" },
        });
        new aws.secretsmanager.SecretVersion(`raw-${i}-value`, {
          secretId: secret.arn,
          secretString: pulumi.secret(rawJson(conn)),
        });
      });
    },
  },
  {
    backend: "gcp",
    stackFile: "stacks/examples/Pulumi.prod-gcp.yaml",
    minimum: 2,
    // The secret, its version and the rotator's grant on it. A Secret has no IAM field (AWS's has
    // `policy`); the grant folds into a project binding only by a condition naming the secret
    // (12 logical operators per condition) or by a resource-manager tag, and a Secret's `tags` are
    // immutable (magic-modules mmv1/products/secretmanager/Secret.yaml): tagging deployed rotated
    // secrets would replace them and the credential the rotator holds in them.
    rotatedMinimum: 3,
    minimalRaw(connections, environment) {
      const gcp = load.gcp();
      connections.forEach((conn, i) => {
        const secret = new gcp.secretmanager.Secret(`raw-${i}`, {
          project: "raw",
          secretId: `airflow-${environment}-connections-${conn.conn_id}`,
          replication: {
            userManaged: {
              replicas: ["europe-west1", "europe-west4"].map((location) => ({
                location,
                customerManagedEncryption: {
                  kmsKeyName: `projects/raw/locations/${location}/keyRings/r/cryptoKeys/k`,
                },
              })),
            },
          },
          labels: labels(environment),
          annotations: { "airflow-kind": "connection", "airflow-id": conn.conn_id },
          versionDestroyTtl: "604800s",
        });
        new gcp.secretmanager.SecretVersion(`raw-${i}-value`, {
          secret: secret.id,
          secretData: pulumi.secret(rawJson(conn)),
        });
      });
    },
  },
  {
    backend: "azure",
    stackFile: "stacks/examples/Pulumi.prod-azure.yaml",
    minimum: 1,
    rotatedMinimum: 2, // the secret and the rotator's assignment on it (journals are blobs)
    minimalRaw(connections, environment) {
      const azure = load.azure();
      connections.forEach((conn, i) => {
        new azure.keyvault.Secret(`raw-${i}`, {
          resourceGroupName: "raw",
          vaultName: "raw",
          secretName: `airflow-${environment}-connections-${conn.conn_id.replace(/_/g, "-")}`,
          properties: pulumi.secret({
            value: rawJson(conn),
            contentType: "application/json",
            attributes: { enabled: true, expires: 1822348800 },
          }),
          tags: { ...labels(environment), "airflow-id": conn.conn_id },
        });
      });
    },
  },
];

interface Run {
  cpuMs: number;
  peakHeapMb: number;
  /** Live heap with every registration in flight (measured only when asked: it forces a full GC). */
  inFlightHeapMb?: number;
  resources: RecordedResource[];
}

const gc = (): void => (global as { gc?: () => void }).gc?.();

/**
 * One synth in a fresh mock runtime: CPU time from program start to the last registration, and the
 * highest heap sampled on the way (every 500 registrations and on a 5 ms timer).
 */
export async function measure(
  config: { config: Record<string, string>; secretKeys: string[] },
  build: () => void,
  options: { inFlightHeap?: boolean } = {},
): Promise<Run> {
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sample = () => {
    peak = Math.max(peak, v8.getHeapStatistics().used_heap_size);
  };
  let registered = 0;
  const timer = setInterval(sample, 5);
  const start = process.cpuUsage();
  const session = installMocks({
    project: PROJECT,
    stack: "bench",
    ...config,
    onRecord: () => {
      if (++registered % 500 === 0) sample();
    },
  });
  let inFlight: number | undefined;
  await withoutStackCapture(async () => {
    build();
    sample();
    if (options.inFlightHeap) {
      // The program has returned and no registration has completed: what is alive now is what every
      // resource holds while Pulumi's runtime works on it (the sampled peak adds garbage on top).
      gc();
      inFlight = process.memoryUsage().heapUsed - base;
    }
    await session.settle();
  });
  const used = process.cpuUsage(start);
  clearInterval(timer);
  sample();
  return {
    cpuMs: (used.user + used.system) / 1000,
    peakHeapMb: peak / 1024 / 1024,
    ...(inFlight !== undefined ? { inFlightHeapMb: inFlight / 1024 / 1024 } : {}),
    resources: session.resources,
  };
}

/** Re-wraps recorded secrets so a replay registers exactly what the library did. */
function rewrap(value: unknown): unknown {
  if (isSecretValue(value)) return pulumi.secret(rewrap(value.value));
  if (Array.isArray(value)) return value.map(rewrap);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrap(v)]));
  return value;
}

/** A resource registered by type token alone: for types whose SDK class cannot be found (providers). */
class Replayed extends pulumi.CustomResource {}

type ResourceClass = new (name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) => unknown;

/**
 * The provider SDK's class for a type token (`vault:kv/secretV2:SecretV2` → `@pulumi/vault/kv/secretV2`'s
 * `SecretV2`), so a replay pays what a user's `new aws.secretsmanager.Secret(...)` pays: the SDK's own
 * output properties and, for azure-native, its alias types. Undefined when the package has no such class.
 */
export function sdkClass(type: string): ResourceClass | undefined {
  const [pkg, mod, cls] = type.split(":");
  if (pkg === "pulumi" || mod === undefined || cls === undefined) return undefined;
  const base = `@pulumi/${pkg}`;
  const [first, second] = mod.split("/");
  const candidates =
    first === "index" ? [second && `${base}/${second}`, base] : [`${base}/${mod}`, `${base}/${first}`];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const found = (require(candidate) as Record<string, unknown>)[cls];
      if (typeof found === "function") return found as ResourceClass;
    } catch {
      // Not this module path; try the next.
    }
  }
  return undefined;
}

/** Every custom resource the library registered, as plain registrations through the providers' SDK classes. */
export function replay(resources: readonly RecordedResource[]): { run: () => void; byTypeTokenOnly: number } {
  const classes = new Map<string, ResourceClass | undefined>();
  const prepared = resources
    .filter((r) => r.custom)
    .map((r) => {
      if (!classes.has(r.type)) classes.set(r.type, sdkClass(r.type));
      return {
        type: r.type,
        name: r.name,
        inputs: rewrap(r.inputs) as pulumi.Inputs,
        sdk: classes.get(r.type),
      };
    });
  return {
    run: () => {
      for (const r of prepared) {
        if (r.sdk !== undefined) new r.sdk(r.name, r.inputs);
        else new Replayed(r.type, r.name, r.inputs);
      }
    },
    byTypeTokenOnly: prepared.filter((r) => r.sdk === undefined).length,
  };
}

const customCount = (resources: readonly RecordedResource[]) => resources.filter((r) => r.custom).length;

/** Custom resources each additional connection adds, from two small runs. */
async function perConnection(c: BackendCase, rotated: boolean): Promise<number> {
  const program = load.program();
  const counts: number[] = [];
  for (const n of [4, 8]) {
    const run = await measure(stackConfig(c.stackFile, n, rotated), () => program.deployEnvironment());
    counts.push(customCount(run.resources));
  }
  return (counts[1] - counts[0]) / 4;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fixed = (value: number) => value.toFixed(2);

/** The most repeats of one size, and the wall time after which no repeat is added beyond the fewest. */
const MOST_REPEATS = 31;
const REPEAT_BUDGET_MS = 20_000;

/** How many repeats a run takes, as the header says it. */
function repeatsText(options: SynthBenchOptions): string {
  const large = options.largeRepeats ?? options.repeats;
  const sizes =
    large === options.repeats ? `${options.repeats}` : `${options.repeats} (${large} at n >= 10,000)`;
  return options.repeatsExact === true ? `exactly ${sizes}` : `at least ${sizes}`;
}

/** What the parent asks a worker (synthWorker.ts) and what it answers. */
export type WorkerRequest =
  { kind: "prepare"; backend: string; n: number; variant: Variant } | { kind: "run" } | { kind: "exit" };
export type WorkerReply =
  | { kind: "prepared"; resources: number; inFlightMb?: number; byTypeTokenOnly?: number }
  | { kind: "refused"; message: string }
  | { kind: "ran"; cpuMs: number; peakHeapMb: number };
export type Variant = "library" | "minimal" | "same";
const VARIANTS: Variant[] = ["library", "minimal", "same"];

/** A variant's own process: the parent asks, one request at a time. */
class Worker {
  private readonly child: ChildProcess;
  private pending: { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void } | undefined;

  constructor() {
    this.child = fork(path.join(__dirname, "synthWorker.js"), [], {
      execArgv: ["--expose-gc", "--max-old-space-size=16384"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (reply: WorkerReply) => {
      const waiting = this.pending;
      this.pending = undefined;
      waiting?.resolve(reply);
    });
    this.child.on("exit", (code) => {
      const waiting = this.pending;
      this.pending = undefined;
      waiting?.reject(new Error(`synth worker exited with code ${code}`));
    });
  }

  ask(request: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send(request);
    });
  }

  close(): void {
    if (this.child.connected) this.child.send({ kind: "exit" } satisfies WorkerRequest);
  }
}

export async function benchSynth(options: SynthBenchOptions, print: (line: string) => void): Promise<void> {
  print(
    `synth: one environment × N connections per backend (shipped stack files), CPU time, ` +
      `median [min-max] of ${repeatsText(options)} alternated runs of each variant, each variant in its own process`,
  );
  for (const c of BACKENDS.filter((b) => options.backends?.includes(b.backend) ?? true)) {
    const perConn = await perConnection(c, false);
    const perRotated = await perConnection(c, true);
    print(
      `resources per rotated connection ${c.backend}: ${fixed(perRotated)} (minimum ${c.rotatedMinimum})`,
    );
    for (const n of options.sizes) {
      const workers = Object.fromEntries(VARIANTS.map((v) => [v, new Worker()])) as Record<Variant, Worker>;
      try {
        // Each worker warms itself (module loading, JIT) with untimed runs at this size first.
        // The library prepares first: when it refuses the stack, the others need not run it.
        const prepared = {} as Record<Variant, WorkerReply>;
        let refused: WorkerReply | undefined;
        for (const variant of VARIANTS) {
          prepared[variant] = await workers[variant].ask({ kind: "prepare", backend: c.backend, n, variant });
          if (prepared[variant].kind === "refused") {
            refused = prepared[variant];
            break;
          }
        }
        if (refused?.kind === "refused") {
          // Reported, not hidden: e.g. the env backend refuses a Kubernetes Secret over 1 MiB.
          print(`synth ${c.backend} n=${n}: refused: ${refused.message.split("\n").join(" ")}`);
          continue;
        }
        const library = prepared.library as Extract<WorkerReply, { kind: "prepared" }>;
        const same = prepared.same as Extract<WorkerReply, { kind: "prepared" }>;
        const cpu: Record<Variant, number[]> = { library: [], minimal: [], same: [] };
        let peakHeap = 0;
        const fewest = n >= 10000 ? (options.largeRepeats ?? options.repeats) : options.repeats;
        // Short runs spread the most (a few ms of machine noise is a large share of 100 ms), and they
        // are cheap: more repeats, up to MOST_REPEATS, while one more still fits the size's time budget.
        const started = Date.now();
        let repeats = 0;
        const more = () => {
          if (repeats < fewest) return true;
          if (options.repeatsExact === true || repeats >= MOST_REPEATS) return false;
          const elapsed = Date.now() - started;
          return elapsed + elapsed / repeats <= REPEAT_BUDGET_MS;
        };
        for (let i = 0; more(); i++, repeats++) {
          // Alternate which variant runs first, so none always meets the machine first.
          for (const variant of [...VARIANTS.slice(i % 3), ...VARIANTS.slice(0, i % 3)]) {
            const run = await workers[variant].ask({ kind: "run" });
            if (run.kind !== "ran") throw new Error(`synth worker ${variant}: unexpected ${run.kind}`);
            cpu[variant].push(run.cpuMs);
            if (variant === "library") peakHeap = Math.max(peakHeap, run.peakHeapMb);
          }
        }
        const minimal = cpu.library.map((ms, i) => ms / cpu.minimal[i]);
        const sameRatio = cpu.library.map((ms, i) => ms / cpu.same[i]);
        const inFlightMb = library.inFlightMb ?? 0;
        print(
          `synth ${c.backend} n=${n}: library/minimal-raw ${fixed(median(minimal))}x cpu ` +
            `[${fixed(Math.min(...minimal))}-${fixed(Math.max(...minimal))}], ` +
            `resources/connection ${fixed(perConn)} (minimum ${c.minimum}), peak heap ${Math.round(peakHeap)} MB`,
        );
        print(
          `  ${c.backend} n=${n}: library/raw-same-resources ${fixed(median(sameRatio))}x cpu ` +
            `[${fixed(Math.min(...sameRatio))}-${fixed(Math.max(...sameRatio))}]; library ${median(cpu.library).toFixed(0)} ms, ` +
            `minimal raw ${median(cpu.minimal).toFixed(0)} ms, raw same resources ${median(cpu.same).toFixed(0)} ms` +
            (same.byTypeTokenOnly ? ` (${same.byTypeTokenOnly} replayed by type token, no SDK class)` : "") +
            ` (${repeats} run${repeats === 1 ? "" : "s"} of each)`,
        );
        print(
          `  ${c.backend} n=${n}: ${library.resources} resources, live heap added with every registration in flight ` +
            `${Math.round(inFlightMb)} MB (${((inFlightMb * 1024) / Math.max(library.resources, 1)).toFixed(0)} KB/resource)`,
        );
      } finally {
        for (const worker of Object.values(workers)) worker.close();
      }
    }
  }
}
