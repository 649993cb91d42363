import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./drizzle",
  // why: generate needs no server; migrations are applied by scripts/migrate.ts at start-up
});
