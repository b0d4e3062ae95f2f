/** jest globalTeardown: stops the run's PostgreSQL (closing its stdin) and waits until it is gone. */
import type { ChildProcess } from "child_process";

export default async function globalTeardown(): Promise<void> {
  const child = (globalThis as { __airflowSecretsPg?: ChildProcess }).__airflowSecretsPg;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // The setup unref'd the child so a crashed run cannot hang on it. Waiting on an unref'd child keeps
  // nothing alive: Node would end the process here with status 0, before jest records its failures.
  child.ref();
  child.stdin?.end();
  await exited;
}
