/**
 * One variant of the synth bench in a process of its own (see synth.ts): the parent sends `prepare`
 * once (untimed warm-up runs at the size measured), then `run` per repeat, alternating its workers.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  BACKENDS,
  Declared,
  PROJECT,
  Variant,
  WorkerReply,
  WorkerRequest,
  load,
  measure,
  replay,
  stackConfig,
} from "./synth";

let runOnce: (() => ReturnType<typeof measure>) | undefined;

async function prepare(backend: string, n: number, variant: Variant): Promise<WorkerReply> {
  const c = BACKENDS.find((b) => b.backend === backend);
  if (c === undefined) throw new Error(`no bench case for backend ${backend}`);
  const config = stackConfig(c.stackFile, n, false);
  const environment = config.config[`${PROJECT}:environment`];
  // The raw version's process never loads the library (its modules would weigh on every full GC).
  if (variant === "minimal") {
    runOnce = () =>
      measure(config, () =>
        c.minimalRaw(new pulumi.Config(PROJECT).requireObject<Declared[]>("connections"), environment),
      );
    await runOnce();
    const warm = await runOnce();
    return { kind: "prepared", resources: warm.resources.length };
  }
  const program = load.program();
  // Warm module loading and JIT on a small stack first.
  await measure(stackConfig(c.stackFile, 20, false), () => program.deployEnvironment());
  let reference;
  try {
    // Untimed. The library's is the one run that measures the live heap in flight (it forces a
    // full GC); the replay's only records what to replay.
    reference = await measure(config, () => program.deployEnvironment(), {
      inFlightHeap: variant === "library",
    });
  } catch (error) {
    return { kind: "refused", message: String((error as Error).message) };
  }
  if (variant === "library") {
    runOnce = () => measure(config, () => program.deployEnvironment());
    await runOnce();
    return { kind: "prepared", resources: reference.resources.length, inFlightMb: reference.inFlightHeapMb };
  }
  const replayed = replay(reference.resources);
  const resources = reference.resources.length;
  reference.resources.length = 0;
  runOnce = () => measure(config, replayed.run);
  await runOnce();
  return { kind: "prepared", resources, byTypeTokenOnly: replayed.byTypeTokenOnly };
}

async function answer(request: WorkerRequest): Promise<WorkerReply | undefined> {
  switch (request.kind) {
    case "prepare":
      return prepare(request.backend, request.n, request.variant);
    case "run": {
      if (runOnce === undefined) throw new Error("run before prepare");
      const run = await runOnce();
      run.resources.length = 0;
      return { kind: "ran", cpuMs: run.cpuMs, peakHeapMb: run.peakHeapMb };
    }
    case "exit":
      process.exit(0);
  }
}

process.on("message", (request: WorkerRequest) => {
  answer(request).then(
    (reply) => reply !== undefined && process.send!(reply),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});
