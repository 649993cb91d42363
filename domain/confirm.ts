/**
 * A mass action asks first: the question, the count the server worked out, and the request to
 * repeat once confirmed. Built in domain (the workflow knows the count), shown by
 * app/components/confirm-step.tsx.
 */
export interface ConfirmRequest {
  question: string;
  /** Lines under the question (who is left out and why…). */
  details: string[];
  count: number;
  confirmLabel: string;
  /** The request to repeat, confirmed. */
  fields: [string, string][];
  action: string;
}
