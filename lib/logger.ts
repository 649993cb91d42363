import pino, { type Logger } from "pino";

/** Paths pino blanks out wherever they appear in a log object: keys, tokens, passwords, auth headers. */
export const REDACT_PATHS = [
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
