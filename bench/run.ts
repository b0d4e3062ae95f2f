/**
 * `npm run bench`: every benchmark, each printing ratios measured within this one run.
 * `--quick` measures n = 100 and 1,000 only (a developer's loop); the full run adds 10,000.
 * `--only=synth,rotation,cli`, `--backends=aws,gcp`, `--sizes=1000`, `--repeats=7` narrow a run
 * (without `--repeats`, n = 10,000 is measured 3 times, smaller sizes at least 7 times and up to 31
 * while they fit 20 s; with it, exactly that many).
 */
import { benchCli } from "./cli";
import { benchRotation } from "./rotation";
import { benchSynth } from "./synth";

function flag(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const sizes = flag("sizes")?.split(",").map(Number);
  const only = flag("only")?.split(",");
  const benches: Record<string, () => Promise<void>> = {
    synth: () =>
      benchSynth(
        {
          sizes: sizes ?? (quick ? [100, 1000] : [100, 1000, 10000]),
          repeats: Number(flag("repeats") ?? 7),
          largeRepeats: Number(flag("repeats") ?? 3),
          repeatsExact: flag("repeats") !== undefined,
          backends: flag("backends")?.split(","),
        },
        (line) => console.log(line),
      ),
    rotation: async () => (await benchRotation()).forEach((line) => console.log(line)),
    cli: async () => (await benchCli()).forEach((line) => console.log(line)),
  };
  for (const [name, bench] of Object.entries(benches)) {
    if (only !== undefined && !only.includes(name)) continue;
    await bench();
    console.log("");
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
