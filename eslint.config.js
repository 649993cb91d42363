import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

// ---- domain/ layer rules (docs/decisions/0019-layers.md), shared by the domain block and the email-template exception
const DOMAIN_IMPORTS = [
  {
    group: ["**/app/**", "**/workers/**", "**/scripts/**", "**/simulator/**", "**/composition/**"],
    message: "domain/ sits below app/, workers/ and the composition root: they call it, never the reverse",
  },
  { group: ["drizzle-orm", "drizzle-orm/*"], message: "all SQL lives in db/queries (grouped by aggregate): call a query function" },
  { group: ["**/db/schema/**"], allowTypeImports: true, message: "domain/ reads and writes through db/queries; import only types from db/schema" },
];
const DOMAIN_NO_FRAMEWORKS = {
  group: ["@remix-run/*", "pg-boss", "express", "react", "react-dom"],
  message: "domain/ has no Remix, React or pg-boss inside: routes and job handlers adapt to it",
};
/** Email templates: the one place domain/ may render React to a string. */
const EMAIL_TEMPLATES = ["domain/briefings/render.ts"];

export default tseslint.config(
  { ignores: ["build/**", "node_modules/**", ".data/**", ".cache/**", "drizzle/**", "test-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read settings through config/env.ts" }],
    },
  },
  {
    files: ["config/env.ts", "vite.config.ts", "drizzle.config.ts", "tests/**", "scripts/**", "eslint.config.js"],
    rules: { "no-restricted-properties": "off" },
  },
  // ---- Layers point down only (docs/decisions/0019-layers.md):
  //   app/ (routes) and workers/ (job handlers) → domain/ → db/ → domain/vocabulary.ts (imports nothing)
  {
    files: ["domain/vocabulary.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "ImportDeclaration", message: "domain/vocabulary.ts imports nothing: every layer depends on it, so it may depend on none" },
        { selector: "ExportAllDeclaration, ExportNamedDeclaration[source]", message: "domain/vocabulary.ts re-exports nothing" },
        { selector: "ImportExpression", message: "domain/vocabulary.ts imports nothing" },
      ],
    },
  },
  {
    files: ["db/**/*.ts"],
    ignores: ["db/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/domain/**", "!**/domain/vocabulary.ts"],
              message: "db/ may import only domain/vocabulary.ts from domain: queries take and return plain data",
            },
            {
              group: ["**/app/**", "**/workers/**", "**/scripts/**", "**/simulator/**", "**/composition/**"],
              message: "db/ sits below app/, workers/, scripts/, the composition root and the simulator",
            },
            { group: ["@remix-run/*", "pg-boss", "express"], message: "db/ knows nothing of the web or the queue" },
          ],
        },
      ],
    },
  },
  {
    files: ["domain/**/*.ts", "domain/**/*.tsx"],
    ignores: ["domain/**/*.test.ts", "domain/**/*.test.tsx", "domain/vocabulary.ts", ...EMAIL_TEMPLATES],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns: [...DOMAIN_IMPORTS, DOMAIN_NO_FRAMEWORKS] }] },
  },
  {
    // why: an email template is a pure report → string function; React here is only a template engine that escapes
    // by construction (renderToStaticMarkup), no Remix, no hooks, no browser (docs/decisions/0039-briefing-email.md)
    files: EMAIL_TEMPLATES,
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [{ name: "react-dom", message: "an email template renders with react-dom/server only" }],
          patterns: [
            ...DOMAIN_IMPORTS,
            {
              group: ["@remix-run/*", "pg-boss", "express", "react-dom/*", "!react-dom/server"],
              message: "an email template renders with react-dom/server only: no Remix, pg-boss or browser React",
            },
          ],
        },
      ],
    },
  },
);
