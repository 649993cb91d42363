/**
 * Lets a plain `node` process (test workers, benches) import the briefing renderer's `.tsx`, which
 * Node's type stripping cannot run: compiled on load by the TypeScript compiler (a dev dependency already).
 * Use: `node --import ./tests/support/jsx-loader.ts <script>`. Test-only: the product worker does
 * not have it (docs/decisions/0040-briefing-delivery.md, "the renderer in the worker").
 */
import { readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";
import ts from "typescript";

registerHooks({
  load(url, context, nextLoad) {
    if (!url.startsWith("file:") || !url.endsWith(".tsx")) return nextLoad(url, context);
    const path = fileURLToPath(url);
    const { outputText } = ts.transpileModule(readFileSync(path, "utf8"), {
      fileName: path,
      compilerOptions: { jsx: ts.JsxEmit.ReactJSX, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    return { format: "module", source: outputText, shortCircuit: true };
  },
});
