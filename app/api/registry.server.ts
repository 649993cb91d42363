import type { Endpoint } from "./endpoint.server.ts";
import { acknowledgeAlertEndpoint, listAlertsEndpoint } from "./endpoints/alerts.server.ts";
import { latestBriefingEndpoint, previewBriefingEndpoint } from "./endpoints/briefings.server.ts";
import {
  clinicTimelineEndpoint,
  createReconnectLinkEndpoint,
  probeClinicEndpoint,
  replaceKeyEndpoint,
  syncClinicEndpoint,
} from "./endpoints/clinic-actions.server.ts";
import { createClinicEndpoint, getClinicEndpoint, listClinicsEndpoint } from "./endpoints/clinics.server.ts";
import { listEventsEndpoint } from "./endpoints/events.server.ts";
import { getIncidentEndpoint, listIncidentsEndpoint } from "./endpoints/incidents.server.ts";
import { listFailureCodes } from "./endpoints/taxonomy.server.ts";
import {
  createWebhookSubscriptionEndpoint,
  deleteWebhookSubscriptionEndpoint,
  getWebhookSubscriptionEndpoint,
  listWebhookDeliveriesEndpoint,
  listWebhookSubscriptionsEndpoint,
  redeliverWebhookEndpoint,
  rotateWebhookSecretEndpoint,
  updateWebhookSubscriptionEndpoint,
} from "./endpoints/webhooks.server.ts";
import { createApiRouter } from "./router.server.ts";

/** Every JSON API endpoint, in the order the reference lists them. Add an endpoint here and it is routed and documented. */
const API_ENDPOINTS: readonly Endpoint[] = [
  listFailureCodes,
  listClinicsEndpoint,
  createClinicEndpoint,
  getClinicEndpoint,
  replaceKeyEndpoint,
  probeClinicEndpoint,
  createReconnectLinkEndpoint,
  syncClinicEndpoint,
  clinicTimelineEndpoint,
  listAlertsEndpoint,
  acknowledgeAlertEndpoint,
  listIncidentsEndpoint,
  getIncidentEndpoint,
  latestBriefingEndpoint,
  previewBriefingEndpoint,
  listEventsEndpoint,
  listWebhookSubscriptionsEndpoint,
  createWebhookSubscriptionEndpoint,
  getWebhookSubscriptionEndpoint,
  updateWebhookSubscriptionEndpoint,
  deleteWebhookSubscriptionEndpoint,
  rotateWebhookSecretEndpoint,
  listWebhookDeliveriesEndpoint,
  redeliverWebhookEndpoint,
];

export const apiRouter = createApiRouter(API_ENDPOINTS);
