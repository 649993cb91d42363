import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { useEffect, useState } from "react";
import { z } from "zod";
import { listUsers } from "../../db/queries/users.ts";
import { ROLE_DESCRIPTIONS } from "../../domain/auth/roles.ts";
import { changeUser, createUser, NewUserSchema } from "../../domain/users/manage.ts";
import { runAction } from "../actions.server.ts";
import { ConfirmStep, type ConfirmRequest } from "../components/confirm-step.tsx";
import { relativeTime } from "../components/format.ts";
import { Field, FormError } from "../components/forms.tsx";
import { notFound } from "../http.server.ts";
import { redirectWithFlash, requireRole } from "../session.server.ts";
import { USER_ROLES } from "../../domain/vocabulary.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Users · Relink" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const me = await requireRole(request, context.services, "admin");
  return { users: await listUsers(context.services.db), meId: me.id, now: Date.now() };
}

const ActionSchema = z.discriminatedUnion("intent", [
  NewUserSchema.extend({ intent: z.literal("create") }),
  z.object({ intent: z.literal("role"), userId: z.uuid(), role: z.enum(USER_ROLES) }),
  // why confirmed: disabling signs the person out everywhere at once; the server asks first (issue 11)
  z.object({ intent: z.literal("disable"), userId: z.uuid(), confirmed: z.literal("1").optional() }),
  z.object({ intent: z.literal("enable"), userId: z.uuid() }),
]);

export async function action(args: ActionFunctionArgs) {
  return runAction(args, { role: "admin", schema: ActionSchema }, async ({ input, actor, services, request }) => {
    if (input.intent === "create") {
      const { intent: _intent, ...user } = input;
      await createUser({ input: user, actor }, services.db);
      return redirectWithFlash(request, services, "/users", `${user.email} can now sign in as ${user.role}.`);
    }
    if (input.intent === "disable" && !input.confirmed) {
      const target = (await listUsers(services.db)).find((u) => u.id === input.userId) ?? notFound("No user has that id.");
      const confirm: ConfirmRequest = {
        question: `Disable ${target.name} (${target.email})?`,
        details: ["They are signed out of every session now and cannot sign in until an admin enables the account again."],
        count: 1,
        confirmLabel: "Disable the account",
        fields: [
          ["intent", "disable"],
          ["userId", target.id],
        ],
        action: "/users",
      };
      return data({ ok: true as const, confirm });
    }
    const change = input.intent === "role" ? { role: input.role } : { disabled: input.intent === "disable" };
    const found = await changeUser({ userId: input.userId, change, actor }, services.db);
    if (!found) notFound("No user has that id.");
    return redirectWithFlash(
      request,
      services,
      "/users",
      input.intent === "role" ? `Role changed to ${input.role}.` : input.intent === "disable" ? "Account disabled." : "Account enabled.",
    );
  });
}

export default function UsersPage() {
  const { users, meId, now } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result && "fieldErrors" in result ? result.fieldErrors : undefined;
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const [dismissed, setDismissed] = useState<unknown>(null);
  const confirm = result && "confirm" in result && dismissed !== result ? result.confirm : null;
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Users</h1>
          <p className="sub">Who can sign in to the console, and what their role lets them do.</p>
        </div>
      </div>
      {confirm ? <ConfirmStep confirm={confirm} modal={hydrated} onClose={() => setDismissed(result)} cancelHref="/users" /> : null}
      <FormError errors={errors} />
      <div className="grid two">
        <section className="card" aria-labelledby="new-user-h">
          <h2 id="new-user-h">Add a user</h2>
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="create" />
            <Field name="email" label="Email" errors={errors}>
              {(p) => <input {...p} type="email" autoComplete="off" />}
            </Field>
            <Field name="name" label="Name" errors={errors}>
              {(p) => <input {...p} />}
            </Field>
            <Field name="role" label="Role" errors={errors}>
              {(p) => (
                <select {...p} defaultValue="agent">
                  {USER_ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r} — {ROLE_DESCRIPTIONS[r]}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field name="password" label="First password" errors={errors} hint="At least 12 characters. Share it privately.">
              {(p) => <input {...p} type="password" autoComplete="new-password" />}
            </Field>
            <button className="btn" type="submit">
              Add user
            </button>
          </Form>
        </section>
        <section aria-labelledby="users-h">
          <h2 id="users-h" className="visually-hidden">
            Everyone
          </h2>
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.id}>
                    <td>
                      <strong>{u.name}</strong>
                      <div className="hint">{u.email}</div>
                    </td>
                    <td>
                      <Form method="post" className="inline-form">
                        <input type="hidden" name="intent" value="role" />
                        <input type="hidden" name="userId" value={u.id} />
                        <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                          Role of {u.email}
                        </label>
                        <select id={`role-${u.id}`} name="role" defaultValue={u.role}>
                          {USER_ROLES.map((r) => (
                            <option key={r} value={r}>
                              {r}
                            </option>
                          ))}
                        </select>
                        <button className="btn secondary small" type="submit">
                          Save role
                        </button>
                      </Form>
                    </td>
                    <td>
                      {u.disabledAt ? (
                        <span className="badge tone-idle">Disabled {relativeTime(u.disabledAt, now)}</span>
                      ) : (
                        <span className="badge tone-ok">Active</span>
                      )}
                    </td>
                    <td>
                      {u.id === meId ? (
                        <span className="hint">You</span>
                      ) : (
                        <Form method="post">
                          <input type="hidden" name="userId" value={u.id} />
                          <button className="btn secondary small" type="submit" name="intent" value={u.disabledAt ? "enable" : "disable"}>
                            {u.disabledAt ? "Enable" : "Disable"}
                          </button>
                        </Form>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      </div>
    </main>
  );
}
