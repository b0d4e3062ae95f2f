/**
 * An independent Fernet implementation to check stored keys against: Python's `cryptography`
 * (`Fernet` / `MultiFernet`, exactly what Airflow uses) when python3 can import it, otherwise the
 * `fernet` npm package with MultiFernet's rules (first key encrypts, every key decrypts).
 */
import { spawnSync } from "child_process";

/* eslint-disable @typescript-eslint/no-require-imports */
const fernetJs = require("fernet") as {
  Secret: new (key: string) => unknown;
  Token: new (options: { secret: unknown; token?: string; ttl: number }) => {
    encode(message: string): string;
    decode(): string;
  };
};

export type FernetOp =
  | { op: "valid"; key: string }
  | { op: "encrypt"; keys: string[]; data: string }
  | { op: "decrypt"; keys: string[]; token: string }
  | { op: "rotate"; keys: string[]; token: string };

const PYTHON = `
import json, sys
from cryptography.fernet import Fernet, MultiFernet, InvalidToken
def multi(keys): return MultiFernet([Fernet(k) for k in keys])
out = []
for op in json.load(sys.stdin):
    try:
        if op["op"] == "valid":
            Fernet(op["key"]); out.append(True)
        elif op["op"] == "encrypt":
            out.append(multi(op["keys"]).encrypt(op["data"].encode()).decode())
        elif op["op"] == "decrypt":
            out.append(multi(op["keys"]).decrypt(op["token"].encode()).decode())
        elif op["op"] == "rotate":
            out.append(multi(op["keys"]).rotate(op["token"].encode()).decode())
    except (InvalidToken, ValueError):
        out.append(None)
json.dump(out, sys.stdout)
`;

export const pythonFernetAvailable = spawnSync("python3", ["-c", "import cryptography.fernet"]).status === 0;

function runPython(ops: readonly FernetOp[]): unknown[] {
  const result = spawnSync("python3", ["-c", PYTHON], { input: JSON.stringify(ops), encoding: "utf8" });
  if (result.status !== 0) throw new Error(`python3 fernet oracle failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** The npm package reads standard base64; Fernet keys are url-safe. */
const npmSecret = (key: string) => {
  if (!/^[A-Za-z0-9_-]{43}=$/.test(key)) throw new Error("not a url-safe base64 32-byte key");
  return new fernetJs.Secret(key.replace(/-/g, "+").replace(/_/g, "/"));
};

function npmDecrypt(keys: string[], token: string): string | null {
  for (const key of keys) {
    try {
      return new fernetJs.Token({ secret: npmSecret(key), token, ttl: 0 }).decode();
    } catch {
      // MultiFernet tries the next key.
    }
  }
  return null;
}

function runNpm(ops: readonly FernetOp[]): unknown[] {
  return ops.map((op) => {
    try {
      switch (op.op) {
        case "valid":
          npmSecret(op.key);
          return Buffer.from(op.key, "base64url").length === 32;
        case "encrypt":
          return new fernetJs.Token({ secret: npmSecret(op.keys[0]), ttl: 0 }).encode(op.data);
        case "decrypt":
          return npmDecrypt(op.keys, op.token);
        case "rotate": {
          const plain = npmDecrypt(op.keys, op.token);
          return plain === null
            ? null
            : new fernetJs.Token({ secret: npmSecret(op.keys[0]), ttl: 0 }).encode(plain);
        }
      }
    } catch {
      return null;
    }
  });
}

/** Runs the operations with the preferred oracle; `valid` → boolean, others → string or null. */
export function fernet(
  ops: readonly FernetOp[],
  oracle: "python" | "npm" = pythonFernetAvailable ? "python" : "npm",
): unknown[] {
  return oracle === "python" ? runPython(ops) : runNpm(ops);
}
