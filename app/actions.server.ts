import { data, type ActionFunctionArgs } from "@remix-run/node";
import type { z } from "zod";
import type { Actor } from "../domain/clinics/console-actions.ts";
import { domainProblem, isDomainError, type DomainError } from "../domain/errors.ts";
import { badRequest, fieldErrorsOf, formObject, type FieldErrors, type FormFields } from "./forms.server.ts";
import { notFound, paramsOr404 } from "./http.server.ts";
import type { Services } from "./services.server.ts";
import { requireRole, type SessionUser } from "./session.server.ts";
import { uploadTooLarge } from "./upload.server.ts";
import type { UserRole } from "../domain/vocabulary.ts";

/**
 * The one way a console action runs (docs/decisions/0017-domain-error-and-action-runner.md):
 * role check → params (a bad address is a 404) → body read once → zod parse (400 with field
 * errors) → the route's work with the actor built once → a DomainError becomes its status with
 * the message next to its field, or the not-found page when the thing itself is gone.
 */

export interface ActionContext<I, P> {
  input: I;
  params: P;
  user: SessionUser;
  actor: Actor;
  services: Services;
  request: Request;
  /** The raw body, for file fields (readUploadedText). */
  formData: FormData;
  form: FormFields;
}

export interface ActionSpec<S extends z.ZodType, P extends z.ZodType, E extends Record<string, unknown>> {
  role: UserRole;
  schema: S;
  /** The address's params (e.g. z.object({ clinicId: z.uuid() })); one that does not parse is a 404. */
  params?: P;
  /** The 404 message for a bad address. */
  notFoundMessage?: string;
  /** Shapes the form before parsing (e.g. a derived field); the form as sent by default. */
  prepare?: (form: FormFields) => unknown;
  /** What a refused form sends back beside its errors (values to refill; never a secret). */
  echo?: (form: FormFields) => E;
  /** A file field: a body larger than an upload may be is refused before it is read. */
  upload?: string;
}

const actorOf = (user: SessionUser): Actor => ({ userId: user.id, label: user.email });

/** A DomainError as the console answers it (the mapping itself is domainProblem, shared with the API). */
function refusal<E extends Record<string, unknown>>(err: DomainError, extra?: E) {
  const p = domainProblem(err);
  if (p.missingResource) notFound(p.message);
  const fieldErrors: FieldErrors = { [p.field ?? "form"]: [p.message] };
  return data({ ok: false as const, fieldErrors, ...(extra ?? ({} as E)) }, { status: p.status });
}

export async function runAction<
  S extends z.ZodType,
  R,
  P extends z.ZodType = z.ZodType<Record<string, never>>,
  E extends Record<string, unknown> = Record<never, never>,
>({ request, params, context }: ActionFunctionArgs, spec: ActionSpec<S, P, E>, run: (ctx: ActionContext<z.output<S>, z.output<P>>) => Promise<R>) {
  const { services } = context;
  const user = await requireRole(request, services, spec.role);
  const p = (spec.params ? paramsOr404(spec.params, params, spec.notFoundMessage) : {}) as z.output<P>;
  if (spec.upload) {
    const tooLarge = uploadTooLarge(request);
    if (tooLarge) return badRequest({ [spec.upload]: [tooLarge] }, spec.echo?.({}));
  }
  const formData = await request.formData();
  const form = formObject(formData);
  const extra = spec.echo?.(form);
  const parsed = spec.schema.safeParse(spec.prepare ? spec.prepare(form) : form);
  if (!parsed.success) return badRequest(fieldErrorsOf(parsed.error), extra);
  try {
    return await run({ input: parsed.data, params: p, user, actor: actorOf(user), services, request, formData, form });
  } catch (err) {
    if (isDomainError(err)) return refusal(err, extra);
    throw err;
  }
}
