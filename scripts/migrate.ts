import { migrateDatabase } from "../db/migrate.ts";
import { boot, failStartup, requireDatabaseUrl } from "./process.ts";

const { env, logger } = boot("migrate");
try {
  await migrateDatabase(requireDatabaseUrl(env));
  logger.info("migrations applied");
} catch (err) {
  failStartup(logger, err);
}
