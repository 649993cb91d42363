import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/**", "node_modules/**", ".data/**", ".cache/**", "drizzle/**", "test-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read settings through config/env.ts" },
      ],
    },
  },
  {
    files: ["config/env.ts", "vite.config.ts", "drizzle.config.ts", "tests/**", "scripts/**", "eslint.config.js"],
    rules: { "no-restricted-properties": "off" },
  },
);
