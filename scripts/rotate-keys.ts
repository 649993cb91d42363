/**
 * `npm run keys:rotate`: re-encrypts every stored API key and webhook signing secret under the current MASTER_KEY.
 * Set MASTER_KEY / MASTER_KEY_ID to the new key and MASTER_KEYS_PREVIOUS to the old `id:base64`.
 */
import { masterKeyBase64 } from "../config/runtime.ts";
import { openDb } from "../db/client.ts";
import { resealWebhookSecrets } from "../domain/webhooks/secrets.ts";
import { keyringFromConfig } from "../domain/connections/key-storage.ts";
import { rotateStoredKeys } from "../domain/connections/rotate-keys.ts";
import { boot, failStartup, requireDatabaseUrl } from "./process.ts";

const { env, logger } = boot("rotate-keys");
try {
  const keyring = keyringFromConfig(masterKeyBase64(env), env.MASTER_KEY_ID, env.MASTER_KEYS_PREVIOUS);
  const handle = openDb(requireDatabaseUrl(env), { max: 2, applicationName: "relink-rotate-keys" });
  try {
    const report = await rotateStoredKeys({ keyring }, handle.db);
    logger.info({ examined: report.examined, reencrypted: report.reencrypted, unreadable: report.unreadable.length }, "keys rotated");
    if (report.unreadable.length > 0) {
      process.stderr.write(`${report.unreadable.length} connection(s) hold keys no configured master key opens: ${report.unreadable.join(", ")}\n`);
      process.exitCode = 1;
    }
    const secrets = await resealWebhookSecrets({ keyring }, handle.db);
    logger.info({ reencrypted: secrets.reencrypted, unreadable: secrets.unreadable.length }, "webhook signing secrets rotated");
    if (secrets.unreadable.length > 0) {
      process.stderr.write(
        `${secrets.unreadable.length} webhook subscription(s) hold secrets no configured master key opens: ${secrets.unreadable.join(", ")}\n`,
      );
      process.exitCode = 1;
    }
  } finally {
    await handle.close();
  }
} catch (err) {
  failStartup(logger, err);
}
