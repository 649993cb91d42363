import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { signIn } from "../../domain/auth/sign-in.ts";
import { createUserSession, getUser, safeRedirect } from "../session.server.ts";

export const meta: MetaFunction = () => [{ title: "Sign in · Relink" }];

const LoginSchema = z.object({
  email: z.string().trim().min(1, "Enter your email address").email("That is not an email address"),
  password: z.string().min(1, "Enter your password"),
  redirectTo: z.string().optional(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getUser(request, context.services)) throw redirect("/clinics");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context;
  const form = Object.fromEntries(await request.formData());
  const parsed = LoginSchema.safeParse(form);
  if (!parsed.success) {
    const fieldErrors = z.flattenError(parsed.error).fieldErrors;
    return data({ fieldErrors, formError: null, email: String(form.email ?? "") }, { status: 400 });
  }
  const result = await signIn({ email: parsed.data.email, password: parsed.data.password, clientAddress: context.clientAddress }, services.db);
  if (!result.ok) {
    services.logger.info({ email: parsed.data.email, reason: result.reason, ...("scope" in result ? { scope: result.scope } : {}) }, "sign-in refused");
    if (result.reason === "rate_limited") {
      const minutes = Math.ceil(result.retryAfterSeconds / 60);
      return data(
        {
          fieldErrors: {},
          formError: `Too many failed sign-ins ${result.scope === "account" ? "for this account" : "from this network"}. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}, or ask an admin.`,
          email: parsed.data.email,
        },
        { status: 429, headers: { "Retry-After": String(result.retryAfterSeconds) } },
      );
    }
    return data({ fieldErrors: {}, formError: "That email and password do not match an active account.", email: parsed.data.email }, { status: 401 });
  }
  return createUserSession(request, services, result.user.id, safeRedirect(parsed.data.redirectTo));
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const fieldErrors = (result?.fieldErrors ?? {}) as Partial<Record<"email" | "password", string[]>>;
  return (
    <main id="main" className="auth-shell">
      <div className="card auth-card">
        <h1>Sign in to Relink</h1>
        <p className="sub" style={{ marginBottom: "1rem" }}>
          Keep every clinic connected to Cliniko and Nookal.
        </p>
        {result?.formError ? (
          <div className="form-error" role="alert">
            {result.formError}
          </div>
        ) : null}
        <Form method="post" noValidate>
          <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/clinics"} />
          <div className="field">
            <label htmlFor="email">Email</label>
            <input
              id="email"
              name="email"
              type="email"
              autoComplete="username"
              autoFocus
              defaultValue={result?.email ?? ""}
              aria-invalid={fieldErrors.email ? true : undefined}
              aria-describedby={fieldErrors.email ? "email-error" : undefined}
            />
            {fieldErrors.email ? (
              <div className="field-error" id="email-error">
                {fieldErrors.email[0]}
              </div>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              aria-invalid={fieldErrors.password ? true : undefined}
              aria-describedby={fieldErrors.password ? "password-error" : undefined}
            />
            {fieldErrors.password ? (
              <div className="field-error" id="password-error">
                {fieldErrors.password[0]}
              </div>
            ) : null}
          </div>
          <button className="btn" type="submit" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </Form>
      </div>
    </main>
  );
}
