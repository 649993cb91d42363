/**
 * Creates the first admin (or any admin) from the command line:
 *   npm run create-admin -- --email you@example.com --name "Your Name" [--password …]
 * Without --password a strong one is generated and printed once.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { openDb } from "../db/client.ts";
import { DomainError } from "../domain/errors.ts";
import { createUser, NewUserSchema } from "../domain/users/manage.ts";
import { boot, failStartup, requireDatabaseUrl } from "./process.ts";

const { env, logger } = boot("create-admin");
const { values } = parseArgs({
  options: { email: { type: "string" }, name: { type: "string" }, password: { type: "string" } },
});
const generated = values.password ? null : randomBytes(18).toString("base64url");
const parsed = NewUserSchema.safeParse({
  email: values.email ?? "",
  name: values.name ?? values.email ?? "",
  role: "admin",
  password: values.password ?? generated,
});
if (!parsed.success) {
  process.stderr.write(`create-admin: ${parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}\n`);
  process.stderr.write('usage: npm run create-admin -- --email you@example.com --name "Your Name" [--password …]\n');
  process.exit(2);
}
try {
  const handle = openDb(requireDatabaseUrl(env), { max: 1, applicationName: "relink-create-admin" });
  try {
    await createUser({ input: parsed.data, actor: null }, handle.db);
  } finally {
    await handle.close();
  }
  process.stdout.write(`Admin ${parsed.data.email} created.${generated ? ` Password (shown once): ${generated}` : ""}\n`);
} catch (err) {
  if (err instanceof DomainError) {
    process.stderr.write(`create-admin: ${err.message}\n`);
    process.exit(1);
  }
  failStartup(logger, err);
}
