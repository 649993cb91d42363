/**
 * `npm run docs:events`: rewrites the JSON Schemas in docs/events.md from the event catalog's zod
 * schemas (domain/events/catalog.ts), so the documented payloads are the validated ones.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { withEventSchemas } from "../domain/events/schema-doc.ts";

const path = new URL("../docs/events.md", import.meta.url);
const before = readFileSync(path, "utf8");
const after = withEventSchemas(before);
writeFileSync(path, after);
process.stdout.write(after === before ? "docs/events.md is up to date\n" : "docs/events.md updated\n");
