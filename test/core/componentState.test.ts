/**
 * What components register as their own outputs lands in Pulumi's checkpoint, which is rewritten on
 * every step of an update. Lists that grow with the declarations (a path, ARN or name per secret,
 * the env backend's import file) are stack outputs only: adding connections must not grow any
 * component's registered outputs, except the Airflow configuration itself (its lookup patterns
 * name the declared ids, and Airflow reads them). Measured on every backend's shipped stack file
 * with 4 and 12 generated connections added.
 */
import { BACKENDS, stackConfig } from "../../bench/synth";
import { installMocks, withoutStackCapture } from "../../cli/synth/mockRuntime";

jest.setTimeout(300_000);

interface OutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}

/** What Airflow reads, which names the declared ids where a backend narrows its lookups. */
const GROWS_WITH_DECLARATIONS = new Set(["airflowConfig"]);

/** Bytes of every component's registered outputs, by component URN and output name. */
async function componentOutputBytes(file: string, connections: number): Promise<Map<string, number>> {
  jest.resetModules();
  const config = stackConfig(file, connections, false);
  const session = installMocks({ project: "airflow-secrets", stack: "state", ...config });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    getMonitor(): { registerResourceOutputs(req: OutputsRequest, cb: unknown): unknown };
  };
  const monitor = settings.getMonitor();
  const register = monitor.registerResourceOutputs.bind(monitor);
  const bytes = new Map<string, number>();
  monitor.registerResourceOutputs = (req, cb) => {
    for (const [key, value] of Object.entries(req.getOutputs()?.toJavaScript() ?? {}))
      bytes.set(`${req.getUrn()} ${key}`, JSON.stringify(value ?? null).length);
    return register(req, cb);
  };
  await withoutStackCapture(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("../../stacks/program") as typeof import("../../stacks/program")).deployEnvironment();
    await session.settle();
  });
  await new Promise((resolve) => setImmediate(resolve));
  return bytes;
}

describe.each(BACKENDS.map((c) => [c.backend, c.stackFile]))("%s (%s)", (_backend, file) => {
  test("no component's registered outputs grow with the number of connections", async () => {
    const few = await componentOutputBytes(file, 4);
    const many = await componentOutputBytes(file, 12);
    expect(few.size).toBeGreaterThan(0);
    const grown = [...many].filter(
      ([key, size]) => size > (few.get(key) ?? 0) && !GROWS_WITH_DECLARATIONS.has(key.split(" ")[1]),
    );
    expect(grown.map(([key, size]) => `${key}: ${few.get(key)} → ${size} bytes`)).toEqual([]);
  });
});
