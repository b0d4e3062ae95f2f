import { spawnSync } from "child_process";
import { installMocks, resolveOutput } from "../../cli/synth/mockRuntime";
import { fernetKeyValue, toUrlSafeBase64 } from "../../components/airflow";
import { FernetKey } from "../../components/fernet";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fernet = require("fernet") as {
  Secret: new (key: string) => unknown;
  Token: new (opts: { secret: unknown; token?: string; ttl?: number }) => {
    encode(m: string): string;
    decode(): string;
    token: string;
  };
};

const session = installMocks({ project: "p", stack: "dev" });

/** Airflow's MultiFernet: the first key encrypts, every key decrypts. */
function encrypt(keyList: string, message: string): string {
  return new fernet.Token({ secret: new fernet.Secret(keyList.split(",")[0]) }).encode(message);
}
function decryptWithAny(keyList: string, token: string): string {
  for (const key of keyList.split(",")) {
    try {
      return new fernet.Token({ secret: new fernet.Secret(key), token, ttl: 0 }).decode();
    } catch {
      // try the next key, as MultiFernet does
    }
  }
  throw new Error("no key decrypts");
}

const pythonHasCryptography = spawnSync("python3", ["-c", "import cryptography.fernet"]).status === 0;

describe("FernetKey", () => {
  it("generates a valid url-safe 32-byte key per generation, secret, and rotates with a window", async () => {
    const rotating = new FernetKey("rotating", {
      generations: ["2026-q3", "2026-q4"],
      rotationInProgress: true,
    });
    const settled = new FernetKey("settled", { generations: ["2026-q3", "2026-q4"] });
    const window = await resolveOutput(rotating.value);
    const after = await resolveOutput(settled.value);
    expect(window.secret).toBe(true);
    expect(after.secret).toBe(true);
    const [newest, previous] = window.value.split(",");
    for (const key of [newest, previous]) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
      expect(Buffer.from(key, "base64url")).toHaveLength(32);
    }
    // A value encrypted under the previous key (before the rotation) still decrypts during the window…
    const old = encrypt(previous, "postgres-password");
    expect(decryptWithAny(window.value, old)).toBe("postgres-password");
    // …new values use the newest key…
    const fresh = encrypt(window.value, "new-secret");
    expect(decryptWithAny(newest, fresh)).toBe("new-secret");
    expect(() => decryptWithAny(previous, fresh)).toThrow();
    // …and after the window only the newest key is deployed.
    await session.settle();
    expect(after.value.split(",")).toHaveLength(1);
  });

  (pythonHasCryptography ? it : it.skip)(
    "is accepted by Python's cryptography MultiFernet, which Airflow uses",
    async () => {
      const key = new FernetKey("py", { generations: ["a", "b"], rotationInProgress: true });
      const { value } = await resolveOutput(key.value);
      const script = [
        "import sys",
        "from cryptography.fernet import Fernet, MultiFernet",
        "keys = sys.argv[1].split(',')",
        "old_token = Fernet(keys[1].encode()).encrypt(b'x')",
        "multi = MultiFernet([Fernet(k.encode()) for k in keys])",
        "assert multi.decrypt(old_token) == b'x'",
        "assert Fernet(keys[0].encode()).decrypt(multi.encrypt(b'y')) == b'y'",
        "print('ok')",
      ].join("\n");
      const run = spawnSync("python3", ["-c", script, value], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      expect(run.stdout.trim()).toBe("ok");
    },
  );

  it("protects the random bytes in production", async () => {
    new FernetKey("prodkey", { generations: ["g1"], protect: true });
    await session.settle();
    const bytes = session.resources.find((r) => r.name === "prodkey-g1");
    expect(bytes).toMatchObject({
      type: "random:index/randomBytes:RandomBytes",
      protect: true,
      retainOnDelete: true,
    });
  });

  it("rejects bad generations before registering anything", async () => {
    const before = session.resources.length;
    expect(() => new FernetKey("bad", { generations: [] })).toThrow(
      /fernet\.generations: must list at least one key generation/,
    );
    await session.settle();
    expect(session.resources.length).toBe(before);
  });
});

describe("Fernet value helpers", () => {
  it("orders newest first and keeps only the previous key during a window", () => {
    expect(fernetKeyValue(["old", "mid", "new"], true)).toBe("new,mid");
    expect(fernetKeyValue(["old", "mid", "new"], false)).toBe("new");
  });
  it("converts to the url-safe alphabet", () => {
    expect(toUrlSafeBase64("a+b/c=")).toBe("a-b_c=");
  });
});
