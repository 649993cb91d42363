/// <reference types="vitest/config" />
import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  // why: vitest shares this file; the Remix plugin must not run inside tests
  plugins: process.env.VITEST
    ? []
    : [
        remix({
          ignoredRouteFiles: ["**/*.test.*"],
          future: {
            v3_fetcherPersist: true,
            v3_relativeSplatPath: true,
            v3_throwAbortReason: true,
            v3_singleFetch: true,
            v3_lazyRouteDiscovery: true,
          },
        }),
      ],
  build: {
    rollupOptions: {
      onwarn(warning, warn) {
        // why: zod 4 ships `/* @__PURE__ */`-style comments where Rollup cannot use them and says so
        // once per comment on every first `npm start`; Rollup drops them, the bundle is unchanged,
        // and to a newcomer the wall of text reads like a failed build. Only zod's are silenced.
        if (warning.code === "INVALID_ANNOTATION" && warning.id?.includes("/node_modules/zod/")) return;
        // why: resource routes (/healthz, /logout, the index redirect) have no browser code, so their
        // client chunk is empty by design; Remix still asks for one per route
        if (warning.code === "EMPTY_BUNDLE") return;
        warn(warning);
      },
    },
  },
  resolve: { alias: { "~": new URL("./app", import.meta.url).pathname } },
  server: { port: 3000 },
  test: {
    include: ["{app,domain,db,lib,workers,simulator,scripts,config}/**/*.test.ts", "tests/integration/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/setup-file.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
