/**
 * Pack-time step (`npm run build`, after tsc): builds every rotation function's bundle from the
 * compiled entries in dist/ and writes it next to them, so an installed package never runs esbuild
 * during `pulumi preview`/`up` or `airflow-secrets synth`.
 */
import { PREBUILD_ENV } from "./bundle";

process.env[PREBUILD_ENV] = "1";
/* eslint-disable @typescript-eslint/no-require-imports */
const builders: Array<[string, () => unknown]> = [
  [
    "aws",
    () =>
      (require("../aws/rotator/bundle") as typeof import("../aws/rotator/bundle")).rotationHandlerBundle(),
  ],
  ["gcp", () => (require("../gcp/rotator/bundle") as typeof import("../gcp/rotator/bundle")).bundleRotator()],
  [
    "azure",
    () => (require("../azure/rotator/bundle") as typeof import("../azure/rotator/bundle")).rotatorBundle(),
  ],
];
/* eslint-enable @typescript-eslint/no-require-imports */
for (const [cloud, build] of builders) {
  build();
  console.log(`prebuilt the ${cloud} rotation bundle`);
}
