import { env, EnvError, type Env } from "../config/env.ts";
import type { MetricsSettings } from "../config/runtime.ts";
import type { Metrics } from "../composition/metrics.ts";
import { startMetricsServer } from "../lib/http/metrics.ts";
import { StartupError } from "../db/embedded.ts";
import { createLogger, type Logger } from "../lib/logger.ts";

/** Settings and a logger for an entry point; a bad setting stops the process with every problem listed. */
export function boot(name: string): { env: Env; logger: Logger } {
  let settings: Env;
  try {
    settings = env();
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`relink ${name}: ${err.message}\nSee README.md "Configuration" for every variable and its default.\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({
    name,
    level: settings.LOG_LEVEL,
    pretty: settings.LOG_PRETTY ?? (settings.NODE_ENV === "development" && Boolean(process.stdout.isTTY)),
  });
  return { env: settings, logger };
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits 0 (or 1 if stopping failed). */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

/** Prints a start-up failure in words and exits non-zero, without a stack for known problems. */
export function failStartup(logger: Logger, err: unknown): never {
  if (err instanceof StartupError || err instanceof EnvError) {
    process.stderr.write(`\n${err.message}\n\n`);
  } else {
    logger.fatal({ err }, "start-up failed");
  }
  process.exit(1);
}

export function requireDatabaseUrl(settings: Env): string {
  if (!settings.DATABASE_URL) {
    throw new StartupError("DATABASE_URL is not set. Set it to your PostgreSQL server, or use `npm start`, which runs an embedded one.");
  }
  return settings.DATABASE_URL;
}

/** Starts the process's metrics port when one is configured (METRICS_PORT / WORKER_METRICS_PORT); null otherwise. */
export async function serveMetrics(settings: MetricsSettings, services: { metrics: Metrics }, logger: Logger): Promise<{ close(): Promise<void> } | null> {
  if (!settings.listen) return null;
  const { host, port } = settings.listen;
  try {
    const served = await startMetricsServer({ host, port, scrape: services.metrics.scrape, onError: (err) => logger.error({ err }, "metrics scrape failed") });
    logger.info({ url: served.url }, "metrics listening");
    return served;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new StartupError(`The metrics port ${host}:${port} is in use. Set METRICS_PORT / WORKER_METRICS_PORT to a free port.`);
    throw err;
  }
}
