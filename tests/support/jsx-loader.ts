/**
 * Lets a plain `node` process (test workers, benches) import the briefing renderer's `.tsx`, which
 * Node's type stripping cannot run: compiled with esbuild (a dev dependency, via vite) on load.
 * Use: `node --import ./tests/support/jsx-loader.ts <script>`. Test-only: the product worker does
 * not have it (docs/decisions/0040-briefing-delivery.md, "the renderer in the worker").
 */
import { readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";

registerHooks({
  load(url, context, nextLoad) {
    if (!url.startsWith("file:") || !url.endsWith(".tsx")) return nextLoad(url, context);
    const path = fileURLToPath(url);
    const { code } = transformSync(readFileSync(path, "utf8"), { loader: "tsx", jsx: "automatic", format: "esm", sourcefile: path });
    return { format: "module", source: code, shortCircuit: true };
  },
});
