import { openApiDocument } from "../api/openapi.server.ts";

// why its own route, unauthenticated: a client generator or a person fetches the contract before it
// holds a token; Remix ranks this static path above the /api/v1 splat (docs/decisions/0043-openapi-and-reference.md)
export const loader = () => Response.json(openApiDocument(), { headers: { "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*" } });
