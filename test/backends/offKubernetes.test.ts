/**
 * `kubernetes: false` per backend: the env backend is refused (its store is a Kubernetes Secret),
 * every other backend takes it (each with its own identity fields), and the
 * MWAA form of the configuration keeps exactly what MWAA's API takes (generated options).
 */
import * as fc from "fast-check";
import { Problems, mwaaConfiguration } from "../../components/airflow";
import { prepareEnvironment } from "../../components/environment";

const problemsOf = (backend: string) => {
  const problems = new Problems();
  prepareEnvironment(
    {
      environment: "prod",
      backend,
      backendSettings: {},
      airflow: { version: "2.10" },
      kubernetes: false,
      declarations: { variables: [{ key: "alert_email", value: "a@example.com" }] },
    },
    problems,
  );
  return problems.list.filter((p) => p.path === "kubernetes").map((p) => p.rule);
};

describe("kubernetes: false per backend", () => {
  it("the env backend is refused with the reason", () => {
    expect(problemsOf("env")).toEqual([
      expect.stringMatching(/^false is refused with the env backend: its store is a Kubernetes Secret/),
    ]);
  });

  it.each(["aws", "gcp", "azure", "vault"])(
    "%s takes it (its identity fields: test/<backend>/offKubernetes.test.ts)",
    (backend) => {
      expect(problemsOf(backend)).toEqual([]);
    },
  );
});

describe("mwaaConfiguration", () => {
  const section = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/);
  const anyText = fc.string({ unit: "binary", minLength: 0, maxLength: 40 });

  it("keeps an option exactly when MWAA's API rules take it, else names it with the reason", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            section: fc.oneof(section, anyText),
            option: fc.oneof(section, anyText),
            value: anyText,
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (options) => {
          const { options: kept, omitted } = mwaaConfiguration({ options });
          for (const { section: s, option: o, value } of options) {
            const key = `${s}.${o}`;
            const takes =
              key.length <= 64 &&
              /^[a-z]+([a-z0-9._]*[a-z0-9_]+)?$/.test(key) &&
              /^[ -~]{1,65536}$/.test(value) &&
              !["core.fernet_key", "core.fernet_key_secret"].includes(key);
            if (takes) expect(kept[key]).toBe(value);
            else expect(omitted.map((x) => x.option)).toContain(key);
          }
          // A reason never carries the value.
          for (const { reason } of omitted)
            for (const { value } of options) if (value.length > 3) expect(reason).not.toContain(value);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("leaves MWAA's own Fernet key option out, with the reason", () => {
    const result = mwaaConfiguration({
      options: [
        { section: "core", option: "fernet_key_secret", value: "fernet_key" },
        { section: "secrets", option: "backend", value: "x.Backend" },
      ],
    });
    expect(result.options).toEqual({ "secrets.backend": "x.Backend" });
    expect(result.omitted).toEqual([
      { option: "core.fernet_key_secret", reason: expect.stringContaining("Fernet") },
    ]);
  });
});
