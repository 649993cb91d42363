import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { destroyUserSession } from "../session.server.ts";

export const loader = () => redirect("/clinics");

export async function action({ request, context }: ActionFunctionArgs) {
  return destroyUserSession(request, context.services);
}
