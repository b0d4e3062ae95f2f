import {
  DEFAULT_EXCLUDED_CHARACTERS,
  generatePassword,
  PASSWORD_CHARACTER_CLASSES,
  RotationError,
} from "../../components/rotation/internal";

const { lowercase, uppercase, digits, punctuation } = PASSWORD_CHARACTER_CLASSES;
const hasAny = (password: string, chars: string) => [...password].some((ch) => chars.includes(ch));

describe("generatePassword", () => {
  it("defaults to 32 characters from every class, without the default exclusions", () => {
    for (let i = 0; i < 200; i++) {
      const password = generatePassword();
      expect(password).toHaveLength(32);
      for (const chars of [lowercase, uppercase, digits, punctuation])
        expect(hasAny(password, chars)).toBe(true);
      expect(hasAny(password, DEFAULT_EXCLUDED_CHARACTERS)).toBe(false);
      expect(password).toMatch(/^[\x21-\x7e]+$/);
    }
  });

  it("honours length and excluded characters", () => {
    const password = generatePassword({ length: 4096, excludeCharacters: "abcXYZ019!" });
    expect(password).toHaveLength(4096);
    expect(hasAny(password, "abcXYZ019!")).toBe(false);
    expect(generatePassword({ length: 1 })).toHaveLength(1);
  });

  it("excludes nothing when given an empty exclusion list", () => {
    const seen = new Set(generatePassword({ length: 4096, excludeCharacters: "" }));
    for (const ch of DEFAULT_EXCLUDED_CHARACTERS) expect(seen.has(ch)).toBe(true);
  });

  it("requires one of each class still available, even at the minimum length", () => {
    for (let i = 0; i < 500; i++) {
      const password = generatePassword({ length: 3, excludeCharacters: punctuation });
      for (const chars of [lowercase, uppercase, digits]) expect(hasAny(password, chars)).toBe(true);
    }
  });

  it("draws only from what is left when whole classes are excluded", () => {
    const password = generatePassword({ length: 64, excludeCharacters: lowercase + uppercase + punctuation });
    expect(password).toMatch(/^[0-9]{64}$/);
  });

  it("can drop the class requirement", () => {
    // With 2 characters and 4 classes the requirement cannot hold; it is skipped, not looped on.
    expect(generatePassword({ length: 2 })).toHaveLength(2);
    const unconstrained = Array.from({ length: 300 }, () =>
      generatePassword({ length: 4, requireEachClass: false }),
    );
    expect(unconstrained.some((p) => !hasAny(p, digits))).toBe(true);
  });

  it("is uniform over the allowed characters (no modulo bias)", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      for (const ch of generatePassword({ length: 256, requireEachClass: false }))
        counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    const pool = [lowercase, uppercase, digits, punctuation].join("").replace(/["'\\/@`]/g, "");
    expect(counts.size).toBe(pool.length);
    const values = [...counts.values()];
    // ~1160 draws per character: a 25% spread is > 7 standard deviations, while `byte % 88`
    // would give some characters 1.5 times the frequency of others.
    expect(Math.max(...values) / Math.min(...values)).toBeLessThan(1.25);
  });

  it("rejects impossible settings with INVALID_CONFIG", () => {
    const codeOf = (options: Parameters<typeof generatePassword>[0]) => {
      try {
        generatePassword(options);
        return "no error";
      } catch (error) {
        return error instanceof RotationError ? error.code : String(error);
      }
    };
    const everything = lowercase + uppercase + digits + punctuation;
    for (const options of [
      { length: 0 },
      { length: 4097 },
      { length: 2.5 },
      { excludeCharacters: everything },
    ]) {
      expect(codeOf(options)).toBe("INVALID_CONFIG");
    }
  });
});
