/**
 * How long a console session lives (docs/decisions/0021-web-request-security.md): 12 hours from
 * sign-in at most (a working day), and 30 minutes without a request ends it (an unattended
 * console). Both are checked on the server on every request (app/session.server.ts).
 */
export const SESSION_ABSOLUTE_SECONDS = 12 * 3600;
export const SESSION_IDLE_SECONDS = 30 * 60;
