/**
 * `npm start`: the whole product with zero configuration. Embedded PostgreSQL (unless DATABASE_URL
 * is set), migrations, the simulator and its demo fleet, then worker and web as child processes.
 * Ctrl-C or SIGTERM stops the children, then PostgreSQL, and exits 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { masterKeyBase64, publicUrl, sessionSecret, simulatorVendorEnv } from "../config/runtime.ts";
import { assertPortFree, ensureDatabase, startEmbeddedPostgres, StartupError, type EmbeddedHandle } from "../db/embedded.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { buildIsStale, ensureBuilt } from "./build.ts";
import { boot, failStartup } from "./process.ts";
import { DEMO_ADMIN, seedDemoFleet } from "./seed-demo.ts";

const { env, logger } = boot("start");
const children: { name: string; proc: ChildProcess }[] = [];
let pg: EmbeddedHandle | undefined;
let shuttingDown = false;

function startChild(name: string, entry: string, childEnv: NodeJS.ProcessEnv, nodeFlags: string[] = []): ChildProcess {
  const proc = spawn(process.execPath, [...nodeFlags, entry], { stdio: "inherit", env: childEnv });
  children.push({ name, proc });
  proc.on("exit", (code, signal) => {
    if (!shuttingDown) {
      logger.error({ child: name, code, signal }, `${name} stopped unexpectedly; stopping everything`);
      void shutdown(1);
    }
  });
  return proc;
}

async function waitForHttp(url: string, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new StartupError(`${what} did not answer at ${url} within ${timeoutMs / 1000} s.`);
}

async function shutdown(code: number): Promise<never> {
  if (shuttingDown) return new Promise<never>(() => {});
  shuttingDown = true;
  logger.info("stopping web, worker and simulator");
  await Promise.all(
    children.map(
      ({ proc }) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          // why: web lets requests in flight finish for SHUTDOWN_GRACE_SECONDS; do not cut that short
          const kill = setTimeout(() => proc.kill("SIGKILL"), (env.SHUTDOWN_GRACE_SECONDS + 10) * 1000);
          proc.once("exit", () => {
            clearTimeout(kill);
            resolve();
          });
          proc.kill("SIGTERM");
        }),
    ),
  );
  if (pg) {
    logger.info("stopping PostgreSQL");
    await pg.stop();
  }
  logger.info("stopped");
  process.exit(code);
}

process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  // why: the simulator comes with the demo users and their published password; never by default in production
  const startSimulator = env.START_SIMULATOR ?? env.NODE_ENV !== "production";
  await assertPortFree(env.PORT, env.HOST, "the web console");
  if (startSimulator) await assertPortFree(env.SIMULATOR_PORT, "127.0.0.1", "the vendor simulator");

  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = path.resolve(env.DATA_DIR, "postgres");
    logger.info({ dataDir, port: env.EMBEDDED_PG_PORT }, "starting embedded PostgreSQL");
    pg = await startEmbeddedPostgres({ dataDir, port: env.EMBEDDED_PG_PORT, onLog: (line) => logger.debug({ pg: line }) });
    await ensureDatabase(pg.url("postgres"), "relink");
    databaseUrl = pg.url("relink");
  }
  await migrateDatabase(databaseUrl);
  logger.info("database migrated");

  if (buildIsStale()) {
    logger.info("building the web console (first start or changed sources)");
    if (!ensureBuilt()) throw new StartupError("Building the web console failed (see the errors above).");
  }

  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: env.NODE_ENV,
    DATABASE_URL: databaseUrl,
    MASTER_KEY: masterKeyBase64(env),
    SESSION_SECRET: sessionSecret(env),
  };
  if (startSimulator) {
    const simulatorUrl = `http://127.0.0.1:${env.SIMULATOR_PORT}`;
    Object.assign(childEnv, simulatorVendorEnv(simulatorUrl), {
      HOST: env.HOST,
      SIMULATOR_PORT: String(env.SIMULATOR_PORT),
      // why: a demo's webhook receiver is usually on this machine; delivery refuses loopback otherwise
      WEBHOOK_ALLOW_PRIVATE_TARGETS: process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS || "true",
    });
    startChild("simulator", "simulator/main.ts", { ...childEnv, HOST: "127.0.0.1" });
    await waitForHttp(`${simulatorUrl}/_control/health`, "The vendor simulator");
    const seeded = await seedDemoFleet({ databaseUrl, masterKey: childEnv.MASTER_KEY!, masterKeyId: env.MASTER_KEY_ID, nodeEnv: env.NODE_ENV });
    logger.info({ clinics: seeded.clinics, created: seeded.created }, "demo fleet ready");
  }
  // why (docs/decisions/0033-sync.md): a bounded young generation keeps a long sync's garbage from growing RSS past 300 MB
  startChild("worker", "workers/main.ts", childEnv, ["--max-semi-space-size=8"]);
  startChild("web", "scripts/web.ts", childEnv);
  await waitForHttp(`http://${env.HOST}:${env.PORT}/healthz`, "The web console", 30_000);
  const url = publicUrl(env);
  process.stdout.write(
    `\n  Relink is running at ${url}\n` +
      (startSimulator ? `  Demo sign-in: ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}\n` : "") +
      (pg ? `  Data: ${path.resolve(env.DATA_DIR)} (embedded PostgreSQL on port ${env.EMBEDDED_PG_PORT})\n` : "") +
      `  Press Ctrl-C to stop.\n\n`,
  );
} catch (err) {
  if (!shuttingDown) {
    shuttingDown = true;
    for (const { proc } of children) proc.kill("SIGTERM");
    await pg?.stop();
    failStartup(logger, err);
  }
}
