import type { Endpoint } from "./endpoint.server.ts";
import { listFailureCodes } from "./endpoints/taxonomy.server.ts";
import { createApiRouter } from "./router.server.ts";

/** Every JSON API endpoint, in the order the reference lists them. Add an endpoint here and it is routed and documented. */
const API_ENDPOINTS: readonly Endpoint[] = [listFailureCodes];

export const apiRouter = createApiRouter(API_ENDPOINTS);
