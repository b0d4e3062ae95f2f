import { createHash, createHmac, pbkdf2Sync } from "crypto";
import {
  quoteIdentifier,
  quoteLiteral,
  RotationError,
  scramSha256Verifier,
  SCRAM_ITERATIONS,
} from "../../components/rotation/internal";

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return "no error";
  } catch (error) {
    return error instanceof RotationError ? error.code : String(error);
  }
}

describe("quoteIdentifier", () => {
  it("wraps in double quotes and doubles embedded ones", () => {
    expect(quoteIdentifier("app")).toBe('"app"');
    expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
    expect(quoteIdentifier('"; DROP ROLE x; --')).toBe('"""; DROP ROLE x; --"');
    expect(quoteIdentifier("Mixed Case é")).toBe('"Mixed Case é"');
  });

  it("refuses NUL and empty names", () => {
    expect(codeOf(() => quoteIdentifier("a\0b"))).toBe("INVALID_FIELD");
    expect(codeOf(() => quoteIdentifier(""))).toBe("INVALID_FIELD");
  });
});

describe("quoteLiteral", () => {
  it("doubles single quotes", () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral("'; ALTER ROLE postgres PASSWORD 'x'; --")).toBe(
      "'''; ALTER ROLE postgres PASSWORD ''x''; --'",
    );
  });

  it("uses the escape-string form when a backslash occurs, so standard_conforming_strings does not matter", () => {
    expect(quoteLiteral("a\\b'c")).toBe("E'a\\\\b''c'");
    expect(quoteLiteral("\\'")).toBe("E'\\\\'''");
  });

  it("refuses NUL", () => {
    expect(codeOf(() => quoteLiteral("pass\0word"))).toBe("INVALID_FIELD");
  });
});

describe("scramSha256Verifier", () => {
  it("builds PostgreSQL's stored form from PBKDF2-HMAC-SHA-256 (RFC 5802 keys)", () => {
    const salt = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");
    const verifier = scramSha256Verifier("pencil", { salt });
    const salted = pbkdf2Sync("pencil", salt, SCRAM_ITERATIONS, 32, "sha256");
    const storedKey = createHash("sha256")
      .update(createHmac("sha256", salted).update("Client Key").digest())
      .digest("base64");
    const serverKey = createHmac("sha256", salted).update("Server Key").digest("base64");
    expect(verifier).toBe(`SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$${storedKey}:${serverKey}`);
  });

  it("salts randomly by default", () => {
    const [a, b] = [scramSha256Verifier("same"), scramSha256Verifier("same")];
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
  });

  it("accepts every printable ASCII character and refuses what SASLprep could change", () => {
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
    expect(scramSha256Verifier(printable)).toMatch(/^SCRAM-SHA-256\$/);
    for (const password of ["", "caf\u00e9", "tab\there", "nbsp\u00a0"]) {
      expect(codeOf(() => scramSha256Verifier(password))).toBe("INVALID_FIELD");
    }
  });
});
