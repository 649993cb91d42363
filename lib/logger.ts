import pino, { type Logger } from "pino";

/** Paths pino blanks out wherever they appear in a log object: keys, tokens, passwords, auth headers. */
const REDACT_PATHS = [
  "key",
  "apiKey",
  "api_key",
  "password",
  "passwordHash",
  "token",
  "accessToken",
  "secret",
  "authorization",
  "Authorization",
  "*.key",
  "*.apiKey",
  "*.api_key",
  "*.password",
  "*.passwordHash",
  "*.token",
  "*.accessToken",
  "*.secret",
  "*.authorization",
  "*.Authorization",
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "req.headers.authorization",
  "req.headers.cookie",
];

const MAX_DEPTH = 5;

function isErrorLike(value: unknown): value is Error & Record<string, unknown> {
  return typeof value === "object" && value !== null && typeof (value as Error).message === "string";
}

/** Every bound value of a failed query anywhere in the error chain (drizzle's `params`, postgres.js's `parameters`). */
function queryParameters(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; isErrorLike(e) && depth < MAX_DEPTH; e = e.cause, depth++) {
    for (const list of [e.params, e.parameters]) {
      if (!Array.isArray(list)) continue;
      for (const v of list) {
        const text = Buffer.isBuffer(v) ? v.toString("hex") : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
        // why: short values ("1", "au") would blank out half a message and are not secrets
        if (text.length >= 4) out.push(text);
      }
    }
  }
  return out;
}

function scrub(text: string | undefined, secrets: string[]): string | undefined {
  if (text === undefined) return undefined;
  let out = text;
  for (const s of secrets) out = out.split(s).join("[redacted]");
  return out;
}

/** The "at …" lines of a stack, without its first lines (which repeat the message). */
function frames(stack: unknown): string | undefined {
  if (typeof stack !== "string") return undefined;
  return stack
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .join("\n");
}

function serialize(err: Error & Record<string, unknown>, secrets: string[], depth: number): Record<string, unknown> {
  const type = err.name === "Error" && err.constructor?.name ? err.constructor.name : err.name;
  const cause = isErrorLike(err.cause) && depth < MAX_DEPTH ? serialize(err.cause as Error & Record<string, unknown>, secrets, depth + 1) : undefined;
  // why: drizzle's message is "Failed query: <sql>\nparams: <every bound value>" — tokens, webhook
  // secrets, password hashes. Keep the SQL text, never the values.
  if (typeof err.query === "string" && Array.isArray(err.params)) {
    return { type, message: "Failed query", query: err.query, stack: frames(err.stack), ...(cause ? { cause } : {}) };
  }
  if (err.name === "PostgresError") {
    // why: `detail` and `where` quote row values (`Key (token_hash)=(…) already exists`); they are
    // dropped, and the message is scrubbed of the query's parameters (`invalid input syntax for type uuid: "…"`)
    return {
      type,
      message: scrub(err.message, secrets),
      code: err.code,
      severity: err.severity,
      constraint: err.constraint_name,
      table: err.table_name,
      column: err.column_name,
      routine: err.routine,
      stack: frames(err.stack),
      ...(typeof err.query === "string" ? { query: err.query } : {}),
    };
  }
  const out: Record<string, unknown> = { type, message: scrub(err.message, secrets), stack: scrub(err.stack, secrets) };
  for (const key of ["code", "status", "statusCode"]) if (err[key] !== undefined && typeof err[key] !== "object") out[key] = err[key];
  if (cause) out.cause = cause;
  return out;
}

/**
 * pino's `err` serializer: type, message, stack and a few codes, never a failed query's parameters.
 * postgres.js and drizzle put every bound value into the error (drizzle even into its message), so
 * the standard serializer would write secrets to the log. Non-errors pass through unchanged.
 */
export function serializeError(err: unknown): unknown {
  if (!isErrorLike(err)) return err;
  return serialize(err, queryParameters(err), 0);
}

export interface LoggerOptions {
  name: string;
  level: string;
  pretty: boolean;
}

export function createLogger(options: LoggerOptions, destination?: pino.DestinationStream): Logger {
  const base = {
    name: options.name,
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers: { err: serializeError, error: serializeError },
  };
  if (destination) return pino(base, destination);
  if (options.pretty) {
    return pino({
      ...base,
      transport: { target: "pino-pretty", options: { colorize: true, translateTime: "HH:MM:ss", ignore: "pid,hostname" } },
    });
  }
  return pino(base);
}

export type { Logger };
