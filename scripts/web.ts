import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import { API_BODY_LIMIT } from "../app/api/router.server.ts";
import { createServices } from "../app/services.server.ts";
import { BODY_LIMIT_BYTES, UPLOAD_BODY_LIMITS } from "../app/upload.server.ts";
import { metricsSettings, publicUrl } from "../config/runtime.ts";
import { assertPortFree, StartupError } from "../db/embedded.ts";
import { clientAddressFrom } from "../domain/reconnect/client-address.ts";
import { RECONNECT_SECURITY_HEADERS } from "../domain/reconnect/headers.ts";
import { bodyLimit } from "../lib/http/body-limit.ts";
import { metricsOnConsolePort } from "../lib/http/metrics.ts";
import { createRequestHandler } from "../lib/http/remix.ts";
import { sameOriginOnly } from "../lib/http/same-origin.ts";
import { cspNonce, securityHeaders } from "../lib/http/security-headers.ts";
import { gracefulShutdown } from "../lib/http/shutdown.ts";
import { boot, failStartup, onShutdown, requireDatabaseUrl, serveMetrics } from "./process.ts";

const BUILD = path.resolve("build/server/index.js");
const RECONNECT_HEADER_NAMES = Object.fromEntries(Object.keys(RECONNECT_SECURITY_HEADERS).map((k) => [k.toLowerCase(), true]));

async function main() {
  const { env, logger } = boot("web");
  try {
    const databaseUrl = requireDatabaseUrl(env);
    await assertPortFree(env.PORT, env.HOST, "the web console");
    const build = (await import(pathToFileURL(BUILD).href).catch(() => {
      throw new StartupError(`The console is not built (${BUILD} is missing). Run \`npm run build\` first.`);
    })) as ServerBuild;
    const services = await createServices(env, logger, databaseUrl);

    const app = express();
    app.disable("x-powered-by");
    const shutdown = gracefulShutdown();
    app.use(shutdown.track);
    app.use(securityHeaders({ production: env.NODE_ENV === "production" }));
    const metrics = metricsSettings(env, "web");
    // why: before everything else, so a scrape is neither logged per request nor sent through Remix
    app.use(metricsOnConsolePort({ token: metrics.token, scrape: services.metrics.scrape }));
    const metricsServer = await serveMetrics(metrics, services, logger);
    // why: level 1 (as nginx's default) keeps most of the size win for HTML at a fraction of level 6's CPU per page
    app.use(compression({ level: 1 }));
    app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y" }));
    app.use(express.static("build/client", { maxAge: "1h" }));
    app.use((req, res, next) => {
      const started = performance.now();
      res.on("finish", () => {
        // why: reconnect links carry their token in the path; log only the route shape
        const url = req.path.startsWith("/reconnect/") ? "/reconnect/:token" : req.path;
        logger.info({ method: req.method, url, status: res.statusCode, ms: Math.round(performance.now() - started) }, "request");
      });
      next();
    });
    app.use(sameOriginOnly({ allowedOrigins: [publicUrl(env)] }));
    app.use(bodyLimit({ defaultBytes: BODY_LIMIT_BYTES, rules: [...UPLOAD_BODY_LIMITS, API_BODY_LIMIT] }));
    // why: covers every /reconnect response, including error pages and single-fetch .data requests
    app.use("/reconnect", (req, res, next) => {
      // why: under Referrer-Policy: no-referrer a browser posts a plain form with `Origin: null`;
      // sameOriginOnly accepts it only with `Sec-Fetch-Site: same-origin` and then drops the header
      res.set(RECONNECT_SECURITY_HEADERS);
      // why: the Remix adapter appends the route's own copies; replace instead, so no value appears twice
      const append = res.append.bind(res);
      res.append = (field: string, value?: string | string[]) => (field.toLowerCase() in RECONNECT_HEADER_NAMES ? res.set(field, value) : append(field, value));
      next();
    });
    app.all(
      "*",
      createRequestHandler({
        build,
        // why: in development mode Remix sends a server error's message and stack to the browser, and a
        // failed query's message lists its parameters; the details are in the log (entry.server.tsx)
        mode: "production",
        getLoadContext: (req, res) => ({
          services,
          cspNonce: cspNonce(res),
          clientAddress: clientAddressFrom({
            forwardedFor: req.headers["x-forwarded-for"],
            socketAddress: req.socket.remoteAddress,
            trustedHops: env.TRUST_PROXY_HOPS,
          }),
        }),
      }),
    );
    // why: express's default handler prints err.stack to stderr, and a failed query's stack carries
    // its parameters; log through pino's serializer (lib/logger.ts) and answer without details
    app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const url = req.path.startsWith("/reconnect/") ? "/reconnect/:token" : req.path;
      logger.error({ err, method: req.method, url }, "request failed");
      if (res.headersSent) return void res.destroy();
      res.status(500).type("text/plain").send("Internal Server Error");
    });

    const server = app.listen(env.PORT, env.HOST, () => {
      logger.info({ url: `http://${env.HOST}:${env.PORT}` }, "web console listening");
    });
    onShutdown(logger, async () => {
      await shutdown.close(server, env.SHUTDOWN_GRACE_SECONDS * 1000);
      await metricsServer?.close();
      await services.close();
    });
  } catch (err) {
    failStartup(logger, err);
  }
}

await main();
