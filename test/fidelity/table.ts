/**
 * The README's fidelity table, generated from the matrix: one probe per class of value Airflow
 * changes on read, planned in every cell and, when accepted, read back by the oracle. A probe that
 * is accepted but read back differently is a failure the test reports, never a table entry.
 */
import {
  ConnectionDeclaration,
  SUPPORTED_AIRFLOW_VERSIONS,
  SecretsDeclarations,
  backendProfile,
} from "../../components/airflow";
import {
  CELLS,
  Cell,
  FORMATS,
  askLookups,
  differences,
  lookupRequests,
  planCell,
  storedValues,
} from "./matrix";

const conn = (overrides: Partial<ConnectionDeclaration>): ConnectionDeclaration => ({
  conn_id: "warehouse",
  conn_type: "postgres",
  host: "db.internal",
  port: 5432,
  schema: "analytics",
  login: "etl",
  password: "p@ss:w/rd %#?&=+ é",
  extra: { sslmode: "verify-full", retries: 3 },
  ...overrides,
});

export interface Probe {
  name: string;
  declarations: SecretsDeclarations;
}

export const PROBES: readonly Probe[] = [
  { name: "connection, every field", declarations: { connections: [conn({})] } },
  { name: "conn_type `postgresql`", declarations: { connections: [conn({ conn_type: "postgresql" })] } },
  {
    name: "conn_type `google-cloud-platform`",
    declarations: { connections: [conn({ conn_type: "google-cloud-platform" })] },
  },
  { name: "host `DB.Example.COM`", declarations: { connections: [conn({ host: "DB.Example.COM" })] } },
  {
    name: "connection description",
    declarations: { connections: [conn({ description: "Analytics warehouse" })] },
  },
  {
    name: "variable description",
    declarations: { variables: [{ key: "alert_email", value: "a@b.c", description: "Pager" }] },
  },
  { name: "extra key `__extra__`", declarations: { connections: [conn({ extra: { __extra__: "x" } })] } },
  { name: "conn_id `café_données`", declarations: { connections: [conn({ conn_id: "café_données" })] } },
  {
    name: "config value with `$HOME`",
    declarations: {
      config: [{ section: "database", option: "sql_alchemy_conn", value: "postgresql://u:p@h/$HOME" }],
    },
  },
  {
    name: "`[database] sql_alchemy_conn_async`",
    declarations: {
      config: [
        { section: "database", option: "sql_alchemy_conn_async", value: "postgresql+asyncpg://u:p@h/db" },
      ],
    },
  },
  {
    name: "`[smtp] smtp_password`",
    declarations: { config: [{ section: "smtp", option: "smtp_password", value: "s3cret" }] },
  },
];

export type Outcome = "exact" | "exact, kept in store metadata" | "refused";

/** Outcome of every probe in every cell; throws if an accepted probe is read back differently. */
export async function probeOutcomes(): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  const pending: Array<{
    key: string;
    cell: Cell;
    probe: Probe;
    plan: import("../../components/airflow").SecretsPlan;
    count: number;
  }> = [];
  const requests = [];
  for (const cell of CELLS) {
    for (const probe of PROBES) {
      const key = `${cell.backend}|${cell.format}|${cell.line}|${probe.name}`;
      const planned = planCell(cell, probe.declarations);
      if ("refused" in planned) {
        outcomes.set(key, "refused");
        continue;
      }
      const batch = lookupRequests(cell, planned.plan, await storedValues(planned.plan), probe.declarations);
      pending.push({ key, cell, probe, plan: planned.plan, count: batch.length });
      requests.push(...batch);
    }
  }
  const answers = askLookups(requests);
  let at = 0;
  for (const p of pending) {
    for (let i = 0; i < p.count; i++, at++) {
      const why = differences(p.plan, p.probe.declarations, answers[at]);
      if (why.length) throw new Error(`${p.key}: accepted but read back differently: ${why.join("; ")}`);
    }
    const metadata = p.plan.secrets.some((s) => s.description !== undefined);
    outcomes.set(p.key, metadata ? "exact, kept in store metadata" : "exact");
  }
  return outcomes;
}

const SHORT: Record<Outcome, string> = {
  exact: "exact",
  "exact, kept in store metadata": "exact (store metadata)",
  refused: "refused",
};

/** One markdown table: rows backend × format, columns probes; per-line outcomes merged where equal. */
export function renderTable(outcomes: Map<string, Outcome>): string {
  const backends = [...new Set(CELLS.map((c) => c.backend))];
  const header = `| backend | form | ${PROBES.map((p) => p.name).join(" | ")} |`;
  const rule = `| --- | --- | ${PROBES.map(() => "---").join(" | ")} |`;
  const rows: string[] = [];
  for (const backend of backends) {
    for (const format of FORMATS) {
      const cells = PROBES.map((probe) => {
        const perLine = SUPPORTED_AIRFLOW_VERSIONS.map((line) =>
          outcomes.get(`${backend}|${format}|${line}|${probe.name}`)!,
        );
        if (perLine.every((o) => o === perLine[0])) return SHORT[perLine[0]];
        const groups = new Map<string, string[]>();
        perLine.forEach((o, i) =>
          groups.set(SHORT[o], [...(groups.get(SHORT[o]) ?? []), SUPPORTED_AIRFLOW_VERSIONS[i]]),
        );
        return [...groups].map(([o, lines]) => `${lines.join(", ")}: ${o}`).join("; ");
      });
      rows.push(`| ${backendProfile(backend).title} | ${format.toUpperCase()} | ${cells.join(" | ")} |`);
    }
  }
  return [header, rule, ...rows].join("\n");
}

export const TABLE_START = "<!-- fidelity-table:start (generated by test/fidelity/readmeTable.test.ts) -->";
export const TABLE_END = "<!-- fidelity-table:end -->";
