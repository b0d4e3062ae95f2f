/**
 * `npm run bench`: every benchmark, each printing ratios measured within this one run.
 * `--quick` measures n = 100 and 1,000 only (a developer's loop); the full run adds 10,000.
 */
import { benchCli } from "./cli";
import { benchRotation } from "./rotation";
import { benchSynth } from "./synth";

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const sizes = process.argv
    .find((a) => a.startsWith("--sizes="))
    ?.slice("--sizes=".length)
    .split(",")
    .map(Number);
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  const benches: Record<string, () => Promise<string[]>> = {
    synth: () => benchSynth({ sizes: sizes ?? (quick ? [100, 1000] : [100, 1000, 10000]), repeats: 7 }),
    rotation: () => benchRotation(),
    cli: () => benchCli(),
  };
  for (const [name, bench] of Object.entries(benches)) {
    if (only !== undefined && !only.split(",").includes(name)) continue;
    for (const line of await bench()) console.log(line);
    console.log("");
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
