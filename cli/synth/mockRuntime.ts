/**
 * Runs a Pulumi program in-process under Pulumi's mock runtime and records every resource it
 * registers: type, name, parent, inputs (with secrets still wrapped). Used by `synth`, `check`, the
 * benchmarks and the tests, so they all see the same thing.
 */
import * as pulumi from "@pulumi/pulumi";
import { computedState, invokeResult } from "./computed";

/** Pulumi's wire marker for a secret value: `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent, if any. */
  parent?: string;
  /** Custom (provider-managed) or component. */
  custom: boolean;
  /** Inputs as the engine receives them; secrets are `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`. */
  inputs: Record<string, unknown>;
  /** Resource options worth reviewing. */
  protect: boolean;
  retainOnDelete: boolean;
  /** URNs of the resources this one explicitly depends on (`dependsOn`). */
  dependencies: string[];
  /** Aliases this resource declares, as sent (a spec's empty fields mean "the resource's own"). */
  aliases: RecordedAlias[];
  /** The explicit provider's reference (`urn::id`), when it has one: offline outputs depend on its account. */
  provider?: string;
}

/** An alias as the engine receives it: a URN, or a spec whose parent is a (mock) URN. */
export interface RecordedAlias {
  urn?: string;
  type?: string;
  name?: string;
  project?: string;
  stack?: string;
  /** The parent's URN as the mock runtime forms it; absent: the resource's own parent. */
  parent?: string;
  noParent?: boolean;
}

export interface MockSession {
  readonly resources: RecordedResource[];
  /** Waits until every registration the program started has been recorded. */
  settle(): Promise<void>;
}

export interface MockOptions {
  project: string;
  stack: string;
  /** Flat Pulumi config (`namespace:key` → string value, objects as JSON). */
  config?: Record<string, string>;
  /** Keys of `config` whose values are secret. */
  secretKeys?: string[];
  /** Called after each resource is recorded (the benchmark samples the heap here). */
  onRecord?: () => void;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDependenciesList(): string[];
  getAliasesList?(): AliasMessage[];
  getProvider?(): string;
}
interface AliasMessage {
  getUrn(): string;
  getSpec():
    | {
        getName(): string;
        getType(): string;
        getStack(): string;
        getProject(): string;
        getParenturn(): string;
        getNoparent(): boolean;
      }
    | undefined;
}
interface RegisterResponse {
  getUrn(): string;
}
type Callback = (err: unknown, resp?: RegisterResponse) => void;
interface MonitorLike {
  registerResource(req: RegisterRequest, cb: Callback): Promise<void>;
}

export function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

function recordAlias(alias: AliasMessage): RecordedAlias {
  const spec = alias.getSpec();
  if (spec === undefined) return { urn: alias.getUrn() };
  const or = (value: string) => value || undefined;
  return {
    type: or(spec.getType()),
    name: or(spec.getName()),
    project: or(spec.getProject()),
    stack: or(spec.getStack()),
    parent: or(spec.getParenturn()),
    noParent: spec.getNoparent() || undefined,
  };
}

/** Installs the mock runtime (process-global) and returns the recorder. Call before importing programs. */
export function installMocks(options: MockOptions): MockSession {
  const resources: RecordedResource[] = [];
  const inputsByKey = new Map<string, { inputs: Record<string, unknown>; custom: boolean }>();
  let inFlight = 0;
  let idle: Array<() => void> = [];

  pulumi.runtime.setMocks(
    {
      newResource(args) {
        inputsByKey.set(`${args.type}::${args.name}`, { inputs: args.inputs, custom: args.custom !== false });
        return {
          id: args.custom === false ? undefined : `${args.name}-id`,
          state: computedState(args.type, args.name, args.inputs, options, args.provider),
        };
      },
      call(args) {
        return invokeResult(args.token, args.inputs, options, args.provider);
      },
    },
    options.project,
    options.stack,
    false,
  );
  pulumi.runtime.setAllConfig(options.config ?? {}, options.secretKeys ?? []);

  // The mock monitor does not pass parents or options to `newResource`; record them at the RPC.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    getMonitor(): MonitorLike;
    waitForRPCs(): Promise<void>;
  };
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    inFlight++;
    return register(req, (err, resp) => {
      if (!err && resp) {
        const key = `${req.getType()}::${req.getName()}`;
        const recorded = inputsByKey.get(key);
        inputsByKey.delete(key);
        resources.push({
          urn: resp.getUrn(),
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent() || undefined,
          custom: recorded?.custom ?? req.getCustom(),
          inputs: recorded?.inputs ?? {},
          protect: req.getProtect() === true,
          retainOnDelete: req.getRetainondelete() === true,
          dependencies: req.getDependenciesList(),
          aliases: (req.getAliasesList?.() ?? []).map(recordAlias),
          provider: req.getProvider?.() || undefined,
        });
        options.onRecord?.();
      }
      cb(err, resp);
      if (--inFlight === 0) {
        const waiting = idle;
        idle = [];
        waiting.forEach((resolve) => resolve());
      }
    });
  };

  return {
    resources,
    async settle() {
      // Registrations chain (children wait for parents' URNs): settle until nothing new starts.
      for (;;) {
        const before = resources.length;
        await settings.waitForRPCs();
        await new Promise((resolve) => setImmediate(resolve));
        if (inFlight > 0) await new Promise<void>((resolve) => idle.push(resolve));
        if (inFlight === 0 && resources.length === before) return;
      }
    },
  };
}

/**
 * Runs `work` with V8 capturing no stack frames. Pulumi's runtime creates an Error (and so a stack
 * trace) for every promise it tracks, about 50-70 per resource, and every `Resource` constructor
 * raises the limit to Infinity to record its source position (a full trace, formatted and parsed,
 * each frame turned into a file URL: it costs more the deeper the program builds its resources).
 * Offline, nobody reads them, and they cost more CPU than the program itself. So the limit reads as
 * no number while `work` runs (V8 then captures nothing) and ignores writes; errors thrown meanwhile
 * keep their message.
 */
export async function withoutStackCapture<T>(work: () => Promise<T>): Promise<T> {
  const original = Object.getOwnPropertyDescriptor(Error, "stackTraceLimit");
  // V8 reads the limit as a data property: an accessor is "not a number", so no frames are captured.
  Object.defineProperty(Error, "stackTraceLimit", {
    configurable: true,
    enumerable: original?.enumerable ?? true,
    get: () => 0,
    set: () => undefined,
  });
  try {
    return await work();
  } finally {
    if (original !== undefined) Object.defineProperty(Error, "stackTraceLimit", original);
    else delete (Error as { stackTraceLimit?: number }).stackTraceLimit;
  }
}

/** The value of an Output (or plain input) and whether it is secret. */
export async function resolveOutput<T>(value: pulumi.Input<T>): Promise<{ value: T; secret: boolean }> {
  const output = pulumi.output(value);
  const [resolved, secret] = await Promise.all([
    new Promise<T>((resolve) => output.apply((v) => resolve(v as T))),
    pulumi.isSecret(output),
  ]);
  return { value: resolved, secret };
}
