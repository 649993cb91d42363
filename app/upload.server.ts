/** Uploads are small text files (CSV); anything bigger is refused before it is read. */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;

/**
 * Request bodies past these sizes get 413 before anything parses them (lib/http/body-limit.ts,
 * wired in scripts/web.ts): form posts are small; the two CSV upload routes (clinic import, a
 * campaign's clinic list) take a 2 MB file plus the form's other fields.
 */
export const BODY_LIMIT_BYTES = 64 * 1024;
export const UPLOAD_BODY_LIMITS = [{ path: /^\/(clinics\/import|campaigns\/[^/]+)\/?$/, bytes: MAX_UPLOAD_BYTES + 64 * 1024 }] as const;

export type UploadedText = { ok: true; text: string; fileName: string | null } | { ok: false; message: string };

/**
 * The text of an uploaded file field, or of a pasted-text field (`${field}Text`) when no file was
 * chosen — the paste lets a person fix a bad line in place and submit again.
 */
export async function readUploadedText(request: Request, field: string, form?: FormData): Promise<UploadedText> {
  const tooLarge = uploadTooLarge(request);
  if (tooLarge) return { ok: false, message: tooLarge };
  const fd = form ?? (await request.formData());
  const file = fd.get(field);
  if (file && typeof file !== "string" && file.size > 0) {
    if (file.size > MAX_UPLOAD_BYTES) return { ok: false, message: "The file is larger than 2 MB; split it." };
    return { ok: true, text: await file.text(), fileName: file.name || null };
  }
  const pasted = fd.get(`${field}Text`);
  if (typeof pasted === "string" && pasted.trim()) {
    if (pasted.length > MAX_UPLOAD_BYTES) return { ok: false, message: "The text is longer than 2 MB; split it." };
    return { ok: true, text: pasted, fileName: null };
  }
  return { ok: false, message: "Choose a CSV file first." };
}

/** Why a request's body is refused before it is read (its declared length is over the upload bound), or null. */
export function uploadTooLarge(request: Request): string | null {
  const length = Number(request.headers.get("Content-Length") ?? 0);
  return length > MAX_UPLOAD_BYTES + 64 * 1024 ? "The file is larger than 2 MB; split it." : null;
}
