/**
 * Synth cost of the library against the same Kubernetes resources written as raw provider calls,
 * measured in one process under the same mock runtime: 3 environments × N connections.
 * Prints ratios (library / raw, and 1000 / 500 growth), never asserts times.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "../cli/synth/mockRuntime";
import { ConnectionDeclaration, connectionToJson } from "../components/airflow";
import { AirflowSecretsEnvironment } from "../components/environment";

const ENVIRONMENTS = ["dev", "staging", "prod"];
const SIZES = [100, 500, 1000];
const REPEATS = 5;

function connections(count: number, environment: string): ConnectionDeclaration[] {
  return Array.from({ length: count }, (_, i) => ({
    conn_id: `conn_${i}`,
    conn_type: "postgres",
    host: `db${i}.${environment}.internal`,
    port: 5432,
    schema: "analytics",
    login: `user_${i}`,
    password: `password-${environment}-${i}`,
    extra: { sslmode: "require" },
  }));
}

function viaLibrary(count: number): void {
  for (const environment of ENVIRONMENTS) {
    new AirflowSecretsEnvironment(environment, {
      environment,
      backend: "env",
      airflow: { version: "2.10" },
      kubernetes: { namespace: `airflow-${environment}`, serviceAccount: "airflow" },
      declarations: { connections: connections(count, environment) },
    });
  }
}

/** What a careful user would write by hand: the same Secret, service account and ConfigMap. */
function viaRawProvider(count: number): void {
  for (const environment of ENVIRONMENTS) {
    const stringData: Record<string, string> = {};
    for (const conn of connections(count, environment)) {
      stringData[`AIRFLOW_CONN_${conn.conn_id.toUpperCase()}`] = connectionToJson(conn as never);
    }
    new k8s.core.v1.Secret(`${environment}-secret`, {
      metadata: { name: `airflow-${environment}-secrets`, namespace: `airflow-${environment}` },
      stringData: pulumi.secret(stringData),
    });
    new k8s.core.v1.ServiceAccount(`${environment}-sa`, {
      metadata: { name: "airflow", namespace: `airflow-${environment}` },
    });
    new k8s.core.v1.ConfigMap(`${environment}-config`, {
      metadata: { name: `airflow-${environment}-config`, namespace: `airflow-${environment}` },
      data: {},
    });
  }
}

interface Sample {
  ms: number;
  heapMb: number;
}

async function measure(build: (count: number) => void, count: number): Promise<Sample> {
  const gc = (global as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  const session = installMocks({ project: "bench", stack: "bench" });
  build(count);
  await session.settle();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  return { ms, heapMb };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function benchSynth(): Promise<string[]> {
  const lines = [
    `synth: 3 environments × N connections, library vs raw @pulumi/kubernetes, median of ${REPEATS} alternating runs`,
    "  N      library ms  raw ms   overhead  library heap MB  raw heap MB",
  ];
  const libraryMs: Record<number, number> = {};
  await measure(viaLibrary, 10); // warm module loading out of the measurements
  await measure(viaRawProvider, 10);
  let worstOverhead = 0;
  for (const size of SIZES) {
    const lib: Sample[] = [];
    const raw: Sample[] = [];
    for (let i = 0; i < REPEATS; i++) {
      lib.push(await measure(viaLibrary, size));
      raw.push(await measure(viaRawProvider, size));
    }
    const libMs = median(lib.map((s) => s.ms));
    const rawMs = median(raw.map((s) => s.ms));
    libraryMs[size] = libMs;
    worstOverhead = Math.max(worstOverhead, libMs / rawMs);
    lines.push(
      `  ${String(size).padEnd(6)} ${libMs.toFixed(0).padStart(10)}  ${rawMs.toFixed(0).padStart(6)}   ${(libMs / rawMs).toFixed(2).padStart(6)}x  ${median(
        lib.map((s) => s.heapMb),
      )
        .toFixed(1)
        .padStart(15)}  ${median(raw.map((s) => s.heapMb))
        .toFixed(1)
        .padStart(11)}`,
    );
  }
  const growth = libraryMs[1000] / libraryMs[500];
  lines.push(`  overhead ratio (worst size): ${worstOverhead.toFixed(2)} (goal ≤ 1.25)`);
  lines.push(`  growth ratio 500→1000 connections: ${growth.toFixed(2)} (goal ≤ 2.1; 2.0 is linear)`);
  return lines;
}
