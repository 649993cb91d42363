/**
 * The one error domain code throws for a rule a person (or an API client) can act on: an unknown
 * clinic, a name already taken, a connection that is already paused, a mute date too far ahead.
 * It carries what the edge needs to answer (HTTP status, the form field it belongs next to, a
 * stable code) and nothing secret: the message is shown to the person as is.
 *
 * Not domain rules, so not DomainError (docs/decisions/0017-domain-error-and-action-runner.md):
 * VendorError (evidence of what a vendor answered, classified by the probe), DeliveryError (a
 * failed alert delivery the job runner retries), KeyCryptoError (a key that cannot be opened),
 * and the start-up errors (EnvError, StartupError).
 */

/** 400 bad input · 404 the thing is not there · 409 it is in a state that forbids this. */
export type DomainStatus = 400 | 404 | 409 | 422;

export interface DomainErrorOptions {
  /** The form field (or API request member) the message belongs next to; none = the whole request. */
  field?: string;
  /** Stable machine-readable reason, e.g. "clinic_archived"; the JSON API puts it in problem details. */
  code?: string;
  /** Facts for logs and tests (never secrets), e.g. the two states of an illegal transition. */
  details?: Record<string, unknown>;
}

export class DomainError extends Error {
  readonly status: DomainStatus;
  readonly field: string | undefined;
  readonly code: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: DomainStatus, message: string, options: DomainErrorOptions = {}) {
    super(message);
    this.name = "DomainError";
    this.status = status;
    this.field = options.field;
    this.code = options.code;
    this.details = options.details;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** What the edge answers for a DomainError: the console's action runner and the JSON API both start here. */
export interface DomainProblem {
  status: DomainStatus;
  /** Where the message goes; absent = about the request as a whole. */
  field: string | undefined;
  message: string;
  code: string | undefined;
  /**
   * A 404 about the thing the address names (no field) means the page itself is gone, so the console
   * shows its not-found page instead of an inline error.
   */
  missingResource: boolean;
}

const TITLES: Record<DomainStatus, string> = { 400: "Bad request", 404: "Not found", 409: "Conflict", 422: "Unprocessable content" };

/** The one DomainError → {status, field, message} mapping (pure, so any edge can reuse it). */
export function domainProblem(err: DomainError): DomainProblem {
  return { status: err.status, field: err.field, message: err.message, code: err.code, missingResource: err.status === 404 && err.field === undefined };
}

/**
 * RFC 9457 problem details for the JSON API: the same mapping, spelled the RFC's way. `errors`
 * carries the field, as the console shows it next to the input.
 */
export function problemDetails(err: DomainError, instance?: string) {
  const p = domainProblem(err);
  return {
    type: p.code ? `urn:relink:problem:${p.code}` : "about:blank",
    title: TITLES[p.status],
    status: p.status,
    detail: p.message,
    ...(instance ? { instance } : {}),
    ...(p.field ? { errors: [{ field: p.field, detail: p.message }] } : {}),
  };
}
