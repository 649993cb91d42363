import type { Vendor } from "./vocabulary.ts";

/**
 * What the domain tells the operator's metrics (docs/decisions/0046-metrics.md). The domain records
 * through this interface only; the composition root implements it with prom-client and is the one
 * importer of that library. Every method is synchronous and cheap (an in-memory counter), so a
 * recorder never slows or fails the work it observes. Labels are closed vocabularies: never a
 * clinic, connection, URL or key.
 */
export interface MetricsRecorder {
  /** One probe applied (or dropped as a conflict / skipped), with how long it took end to end. */
  probe(o: { vendor: Vendor; outcome: "skipped" | "healthy" | "failed" | "conflict"; failureCode: string | null; seconds: number }): void;
  /**
   * One attempt of one vendor HTTP request (domain/vendors/transport.ts): its status code, or
   * "network" / "timeout" when no answer came. 429s are counted here too.
   */
  vendorRequest(o: { vendor: Vendor; status: number | "network" | "timeout"; seconds: number }): void;
  /** Records one sync page committed (seen = read from the vendor). */
  syncRecords(o: { vendor: Vendor; resource: string; records: number }): void;
  /** One sync run finished. */
  syncRun(o: { vendor: Vendor; outcome: "skipped" | "succeeded" | "failed" | "paused" }): void;
  /** One email handed to SMTP (alerts, reconnect links and briefings alike): sent, or failed (it retries). */
  emailDelivery(outcome: "sent" | "failed"): void;
  /**
   * One webhook delivery attempt's outcome. The hook for the webhook delivery code: call it once per
   * attempt with a closed word ("delivered", "failed", "timeout", "disabled", ...).
   */
  webhookDelivery(outcome: string): void;
  /** One weekly briefing decided: sent, held (waits for the connection), or skipped for the week. */
  briefing(outcome: "sent" | "held" | "skipped"): void;
}
