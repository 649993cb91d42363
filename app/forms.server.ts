import { data } from "@remix-run/node";
import type { z } from "zod";

export type FieldErrors = Record<string, string[] | undefined>;
export type FormFields = Record<string, FormDataEntryValue | FormDataEntryValue[]>;

/** Form data as a plain object; repeated names (checkbox lists) become arrays. */
export function formObject(form: FormData): FormFields {
  const out: FormFields = {};
  for (const key of new Set(form.keys())) {
    const all = form.getAll(key);
    out[key] = all.length > 1 ? all : all[0]!;
  }
  return out;
}

/** zod's field errors, keyed by the form field they belong next to. */
export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : "form";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

/** The 400 every action answers with when its form does not parse: errors go next to their fields. */
export function badRequest<E extends Record<string, unknown>>(fieldErrors: FieldErrors, extra?: E) {
  return data({ ok: false as const, fieldErrors, ...(extra ?? ({} as E)) }, { status: 400 });
}
