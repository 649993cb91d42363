import { PgBoss } from "pg-boss";
import type { Logger } from "../lib/logger.ts";
import { QUEUES } from "./catalog.ts";

export interface BossOptions {
  databaseUrl: string;
  logger: Logger;
  /** Web processes only send: they neither supervise nor run cron. */
  role: "worker" | "sender";
  /** How often a worker fails jobs whose heartbeat stopped (a killed worker's); pg-boss default 60 s. Tests shorten it. */
  superviseSeconds?: number;
}

/** Starts pg-boss and makes sure every queue in the catalog exists. */
export async function startBoss(options: BossOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: options.databaseUrl,
    application_name: `relink-${options.role}`,
    max: options.role === "worker" ? 8 : 3,
    supervise: options.role === "worker",
    schedule: options.role === "worker",
    useListenNotify: options.role === "worker",
    ...(options.superviseSeconds ? { superviseIntervalSeconds: options.superviseSeconds, monitorIntervalSeconds: options.superviseSeconds } : {}),
  });
  boss.on("error", (err) => options.logger.error({ err }, "pg-boss error"));
  await boss.start();
  // why: a queue's dead-letter queue must exist before the queue that names it
  const ordered = Object.values(QUEUES).sort((a, b) => Number("deadLetter" in a.queue) - Number("deadLetter" in b.queue));
  for (const q of ordered) {
    await boss.createQueue(q.name, q.queue);
  }
  return boss;
}
