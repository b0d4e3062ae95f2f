/**
 * A local AWS Secrets Manager for tests: an HTTP server on loopback speaking the service's JSON 1.1
 * protocol, so the real `@aws-sdk/client-secrets-manager` client talks to it through an `endpoint`
 * override. It implements the operations the rotation handler uses with the service's version-stage
 * rules: a staging label is on at most one version and moves when attached elsewhere; moving
 * AWSCURRENT puts AWSPREVIOUS on the version it left; PutSecretValue is idempotent on
 * ClientRequestToken and refuses to change an existing version's value. Errors carry AWS's
 * `__type` names. RotateSecret / CancelRotateSecret are test helpers (`startRotation`,
 * `cancelRotation`) because the service, not the handler, calls them. RotateSecret is also served
 * over HTTP (for callers such as `rotate-now`) when a `rotationFunction` is set: like the service, it
 * answers with the new version id at once and then invokes the function's four steps in order,
 * stopping at the first that throws (recorded in `rotationRuns`; AWSPENDING stays where it was).
 */
import { randomUUID } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";

const CURRENT = "AWSCURRENT";
const PREVIOUS = "AWSPREVIOUS";
const PENDING = "AWSPENDING";

interface SecretVersion {
  id: string;
  /** Undefined for the placeholder RotateSecret creates before createSecret stores a value. */
  value?: string;
  stages: Set<string>;
  created: number;
}

interface StoredSecret {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  versions: Map<string, SecretVersion>;
}

export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;

/** One step of the rotation protocol, as the service invokes the rotation function. */
export interface RotationInvocation {
  Step: "createSecret" | "setSecret" | "testSecret" | "finishSecret";
  SecretId: string;
  ClientRequestToken: string;
}

/** A rotation RotateSecret started over HTTP: its token and, once settled, the failed step's error. */
export interface RotationRun {
  secretId: string;
  token: string;
  done: Promise<void>;
  failedStep?: string;
  error?: unknown;
}

export class FakeSecretsManager {
  /** Operation names in the order they were called over HTTP. */
  readonly calls: string[] = [];
  /** The rotation function RotateSecret invokes (e.g. the Lambda handler, in-process); none: refused. */
  rotationFunction?: (event: RotationInvocation) => Promise<unknown>;
  /** Rotations started over HTTP, oldest first. */
  readonly rotationRuns: RotationRun[] = [];
  private readonly secrets = new Map<string, StoredSecret>();
  private constructor(
    private readonly server: http.Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<FakeSecretsManager> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSecretsManager(server, `http://127.0.0.1:${port}`);
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => fake.handle(req, res));
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- test helpers (what the console / the service itself would do) ----

  /** CreateSecret: one version staged AWSCURRENT. Returns the ARN. */
  createSecret(name: string, value: string, options: { rotationEnabled?: boolean } = {}): string {
    const suffix = randomUUID().replace(/-/g, "").slice(0, 6);
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-${suffix}`;
    const secret: StoredSecret = {
      arn,
      name,
      rotationEnabled: options.rotationEnabled ?? true,
      versions: new Map(),
    };
    this.secrets.set(arn, secret);
    const id = randomUUID();
    secret.versions.set(id, { id, value, stages: new Set(), created: Date.now() });
    this.attach(secret, CURRENT, id);
    return arn;
  }

  /**
   * RotateSecret as the service does it before invoking the function: refuses while another
   * version is still pending, enables rotation, adds a value-less version staged AWSPENDING.
   */
  startRotation(secretId: string, token: string = randomUUID()): string {
    const secret = this.find(secretId);
    const unfinished = [...secret.versions.values()].find(
      (v) => v.stages.has(PENDING) && !v.stages.has(CURRENT),
    );
    if (unfinished) {
      throw new AwsError(
        "InvalidRequestException",
        "A previous rotation isn't complete. That rotation will be reattempted.",
      );
    }
    secret.rotationEnabled = true;
    secret.versions.set(token, { id: token, stages: new Set(), created: Date.now() });
    this.attach(secret, PENDING, token);
    return token;
  }

  /** CancelRotateSecret: disables rotation and, like the service, leaves AWSPENDING where it is. */
  cancelRotation(secretId: string): void {
    this.find(secretId).rotationEnabled = false;
  }

  /** VersionIdsToStages as DescribeSecret reports it (versions without a label are omitted). */
  stages(secretId: string): Record<string, string[]> {
    return this.describe(this.find(secretId)).VersionIdsToStages as Record<string, string[]>;
  }

  /** A version's value by stage or by id, as the service holds it (undefined when absent). */
  value(secretId: string, where: { stage?: string; versionId?: string }): string | undefined {
    const secret = this.find(secretId);
    const version = where.versionId
      ? secret.versions.get(where.versionId)
      : this.holder(secret, where.stage ?? CURRENT);
    return version?.value;
  }

  /** Every version id, labelled or not. */
  versionIds(secretId: string): string[] {
    return [...this.find(secretId).versions.keys()];
  }

  // ---- HTTP ----

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let status = 200;
      let payload: Body;
      try {
        const target = String(req.headers["x-amz-target"] ?? "");
        if (
          req.method !== "POST" ||
          !String(req.headers["content-type"]).startsWith("application/x-amz-json-1.1")
        ) {
          throw new AwsError("InvalidRequestException", "expected a POST with application/x-amz-json-1.1");
        }
        const [service, operation] = target.split(".");
        if (service !== "secretsmanager") {
          throw new AwsError("UnknownOperationException", `unknown target ${target}`);
        }
        this.calls.push(operation);
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Body;
        payload = this.dispatch(operation, body);
      } catch (error) {
        status = 400;
        payload =
          error instanceof AwsError
            ? { __type: error.type, message: error.message }
            : { __type: "InternalServiceError", message: String(error) };
        if (!(error instanceof AwsError)) status = 500;
      }
      const text = JSON.stringify(payload);
      res.writeHead(status, {
        "content-type": "application/x-amz-json-1.1",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    });
  }

  private dispatch(operation: string, body: Body): Body {
    switch (operation) {
      case "DescribeSecret":
        return this.describe(this.find(body.SecretId));
      case "GetSecretValue":
        return this.getSecretValue(body);
      case "PutSecretValue":
        return this.putSecretValue(body);
      case "UpdateSecretVersionStage":
        return this.updateSecretVersionStage(body);
      case "RotateSecret":
        return this.rotateSecret(body);
      default:
        throw new AwsError(
          "UnknownOperationException",
          `operation ${operation} is not implemented by the fake`,
        );
    }
  }

  private find(secretId: unknown): StoredSecret {
    if (typeof secretId !== "string" || secretId === "") {
      throw new AwsError("InvalidParameterException", "SecretId is required");
    }
    const secret = this.secrets.get(secretId) ?? [...this.secrets.values()].find((s) => s.name === secretId);
    if (!secret) {
      throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    }
    return secret;
  }

  private holder(secret: StoredSecret, stage: string): SecretVersion | undefined {
    return [...secret.versions.values()].find((v) => v.stages.has(stage));
  }

  /** A label is on one version at most: attaching moves it; AWSCURRENT leaving a version leaves AWSPREVIOUS. */
  private attach(secret: StoredSecret, stage: string, versionId: string): void {
    const previous = this.holder(secret, stage);
    if (previous?.id === versionId) return;
    previous?.stages.delete(stage);
    secret.versions.get(versionId)!.stages.add(stage);
    if (stage === CURRENT && previous) this.attach(secret, PREVIOUS, previous.id);
  }

  private describe(secret: StoredSecret): Body {
    const labelled = [...secret.versions.values()].filter((v) => v.stages.size > 0);
    return {
      ARN: secret.arn,
      Name: secret.name,
      RotationEnabled: secret.rotationEnabled,
      VersionIdsToStages: Object.fromEntries(labelled.map((v) => [v.id, [...v.stages]])),
    };
  }

  private getSecretValue(body: Body): Body {
    const secret = this.find(body.SecretId);
    const stage = typeof body.VersionStage === "string" ? body.VersionStage : undefined;
    let version: SecretVersion | undefined;
    if (typeof body.VersionId === "string") {
      version = secret.versions.get(body.VersionId);
      if (version && stage && !version.stages.has(stage)) version = undefined;
    } else {
      version = this.holder(secret, stage ?? CURRENT);
    }
    if (!version || version.value === undefined) {
      throw new AwsError(
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for the requested VersionId or VersionStage.",
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      SecretString: version.value,
      VersionStages: [...version.stages],
      CreatedDate: version.created / 1000,
    };
  }

  private putSecretValue(body: Body): Body {
    const secret = this.find(body.SecretId);
    if (typeof body.SecretString !== "string") {
      throw new AwsError("InvalidParameterException", "the fake supports SecretString only");
    }
    const token = typeof body.ClientRequestToken === "string" ? body.ClientRequestToken : randomUUID();
    if (token.length < 32 || token.length > 64) {
      throw new AwsError("InvalidParameterException", "ClientRequestToken must be 32 to 64 characters long.");
    }
    const stages = Array.isArray(body.VersionStages) ? (body.VersionStages as string[]) : [CURRENT];
    const existing = secret.versions.get(token);
    if (existing?.value !== undefined) {
      if (existing.value !== body.SecretString) {
        throw new AwsError(
          "ResourceExistsException",
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      // Same token, same value: the service ignores the repeated request.
    } else {
      secret.versions.set(token, {
        id: token,
        value: body.SecretString,
        stages: existing?.stages ?? new Set(),
        created: Date.now(),
      });
      for (const stage of stages) this.attach(secret, stage, token);
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: token,
      VersionStages: [...secret.versions.get(token)!.stages],
    };
  }

  /** RotateSecret: starts a rotation (as `startRotation`) and runs the function's steps after answering. */
  private rotateSecret(body: Body): Body {
    const secret = this.find(body.SecretId);
    const rotationFunction = this.rotationFunction;
    if (!rotationFunction) {
      throw new AwsError(
        "InvalidRequestException",
        "No Lambda rotation function ARN is associated with this secret.",
      );
    }
    const token = this.startRotation(
      secret.arn,
      typeof body.ClientRequestToken === "string" ? body.ClientRequestToken : randomUUID(),
    );
    const run: RotationRun = { secretId: secret.arn, token, done: Promise.resolve() };
    run.done = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      for (const Step of ["createSecret", "setSecret", "testSecret", "finishSecret"] as const) {
        try {
          await rotationFunction({ Step, SecretId: secret.arn, ClientRequestToken: token });
        } catch (error) {
          run.failedStep = Step;
          run.error = error;
          return;
        }
      }
    })();
    this.rotationRuns.push(run);
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  }

  private updateSecretVersionStage(body: Body): Body {
    const secret = this.find(body.SecretId);
    const stage = body.VersionStage;
    if (typeof stage !== "string" || stage === "") {
      throw new AwsError("InvalidParameterException", "VersionStage is required");
    }
    const moveTo = typeof body.MoveToVersionId === "string" ? body.MoveToVersionId : undefined;
    const removeFrom = typeof body.RemoveFromVersionId === "string" ? body.RemoveFromVersionId : undefined;
    const holder = this.holder(secret, stage);
    if (removeFrom !== undefined && holder?.id !== removeFrom) {
      throw new AwsError(
        "InvalidParameterException",
        `The staging label ${stage} is not attached to version ${removeFrom}.`,
      );
    }
    if (moveTo !== undefined) {
      if (!secret.versions.has(moveTo)) {
        throw new AwsError("ResourceNotFoundException", `Secrets Manager can't find version ${moveTo}.`);
      }
      if (holder && holder.id !== moveTo && removeFrom === undefined) {
        throw new AwsError(
          "InvalidParameterException",
          `The staging label ${stage} is currently attached to version ${holder.id}; specify it as RemoveFromVersionId.`,
        );
      }
      this.attach(secret, stage, moveTo);
    } else if (removeFrom !== undefined) {
      if (stage === CURRENT) {
        throw new AwsError(
          "InvalidParameterException",
          "You can't remove AWSCURRENT without moving it to another version.",
        );
      }
      holder!.stages.delete(stage);
    } else {
      throw new AwsError(
        "InvalidParameterException",
        "Specify MoveToVersionId, RemoveFromVersionId or both.",
      );
    }
    return { ARN: secret.arn, Name: secret.name };
  }
}
