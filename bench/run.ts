/** `npm run bench`: every benchmark, each printing ratios measured within this one run. */
import { benchRotation } from "./rotation";
import { benchSynth } from "./synth";

async function main(): Promise<void> {
  for (const bench of [benchSynth, benchRotation]) {
    for (const line of await bench()) console.log(line);
    console.log("");
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
