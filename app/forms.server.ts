import { data } from "@remix-run/node";
import { z } from "zod";

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

/**
 * A checkbox list's value as an array whatever the browser sent: one checked box arrives as a
 * string, several as an array, none as nothing (an empty list for `schema` to refuse, not "all").
 */
export function checkboxList<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), schema);
}

/** A text field's value trimmed before `schema` checks it. */
export function trimmed<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => (typeof v === "string" ? v.trim() : v), schema);
}
