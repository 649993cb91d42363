export * from "./clinics.ts";
export * from "./connections.ts";
export * from "./users.ts";
export * from "./audit.ts";
export * from "./alerts.ts";
export * from "./rate-limits.ts";
export * from "./reconnect-links.ts";
export * from "./campaigns.ts";
