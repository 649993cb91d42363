import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { apiRouter } from "../api/registry.server.ts";

// why: one splat resource route hands every /api/v1 call to the API router (app/api/), which owns
// matching, auth, validation and the problem-details error shape (docs/decisions/0042-json-api.md)
export const loader = ({ request, context }: LoaderFunctionArgs) => apiRouter.handle(request, context.services);
export const action = ({ request, context }: ActionFunctionArgs) => apiRouter.handle(request, context.services);
