/** The environment the AWS rotation Lambda handler reads, set for a test file and put back after it. */

/**
 * Points the handler at `endpoint` in `region` with test credentials (as Lambda's environment would),
 * removes the `cleared` keys, and returns a function that restores every key it touched.
 */
export function setLambdaEnvironment(endpoint: string, region: string, cleared: string[] = []): () => void {
  const values: Record<string, string> = {
    SECRETS_MANAGER_ENDPOINT: endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "test-secret",
  };
  const touched = [...Object.keys(values), ...cleared];
  const saved = Object.fromEntries(touched.map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  for (const key of cleared) delete process.env[key];
  return () => {
    for (const key of touched) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  };
}
