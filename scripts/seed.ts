/**
 * `npm run seed`: applies the migrations, then seeds the demo fleet and the demo users
 * (admin@relink.test / relink-demo …). Idempotent. Refuses with NODE_ENV=production: the demo
 * users' password is published. The docker-compose demo profile runs it before web and worker.
 */
import { masterKeyBase64 } from "../config/runtime.ts";
import { StartupError } from "../db/embedded.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { boot, failStartup, requireDatabaseUrl } from "./process.ts";
import { DemoSeedRefused, seedDemoFleet } from "./seed-demo.ts";

const { env, logger } = boot("seed");
try {
  const databaseUrl = requireDatabaseUrl(env);
  // why: refuse before touching the database at all
  if (env.NODE_ENV === "production") throw new DemoSeedRefused();
  await migrateDatabase(databaseUrl);
  const seeded = await seedDemoFleet({ databaseUrl, masterKey: masterKeyBase64(env), masterKeyId: env.MASTER_KEY_ID, nodeEnv: env.NODE_ENV });
  logger.info({ clinics: seeded.clinics, created: seeded.created }, "demo fleet seeded");
} catch (err) {
  failStartup(logger, err instanceof DemoSeedRefused ? new StartupError(err.message) : err);
}
