import { Link } from "@remix-run/react";
import type { ReactNode } from "react";
import type { IncidentBanner as IncidentBannerData } from "../../domain/incidents/incident-pages.ts";
import { incidentSummary } from "../../domain/incidents/rules.ts";
import { LocalTime } from "./local-time.tsx";

// why: the sentence is the one support hears (rules.ts); only its "since" becomes a <time> in the
// viewer's zone, so the wording is split around a marker rather than written a second time
const SINCE = "\u0000";

/**
 * An open vendor incident, readable at a glance (issue 16): "Cliniko au1 is failing for 412 of 430
 * clinics since 20:14 AEDT; a new key will not help." and a link to the incident (not on its own page). `children` adds
 * what it means for the page it is on (a clinic's held alert).
 */
export function IncidentBanner({ incident, children, link = true }: { incident: IncidentBannerData; children?: ReactNode; link?: boolean }) {
  const [before, after] = incidentSummary({ ...incident, openedAt: new Date(incident.openedAt) }, incident.failing, incident.connections, SINCE).split(SINCE);
  return (
    <div className="incident-banner" role="alert" data-testid="incident-banner">
      <span className="incident-banner-icon" aria-hidden="true">
        !
      </span>
      <div className="incident-banner-body">
        <p className="incident-banner-text">
          <strong>
            {before}
            <LocalTime at={incident.openedAt} style="hm" />
            {after}
          </strong>
        </p>
        {children}
      </div>
      {link ? (
        <Link className="btn secondary small" to={`/incidents/${incident.id}`}>
          View incident
        </Link>
      ) : null}
    </div>
  );
}

/** Open (amber: the vendor must act) or Resolved (green); words as well as colour. */
export function IncidentStatus({ open }: { open: boolean }) {
  return open ? <span className="badge tone-warn">Open</span> : <span className="badge tone-ok">Resolved</span>;
}
