-- Custom migration (drizzle-kit generate --custom): drizzle-kit cannot express triggers.
-- connections.clinic_archived mirrors clinics.archived_at, whatever writes it
-- (docs/decisions/0037-clinic-archived-on-connection.md).
CREATE FUNCTION relink_clinic_archived_to_connections() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE connections SET clinic_archived = (NEW.archived_at IS NOT NULL) WHERE clinic_id = NEW.id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER clinics_archived_to_connections AFTER UPDATE OF archived_at ON clinics
  FOR EACH ROW WHEN (OLD.archived_at IS DISTINCT FROM NEW.archived_at)
  EXECUTE FUNCTION relink_clinic_archived_to_connections();--> statement-breakpoint
CREATE FUNCTION relink_connection_clinic_archived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.clinic_archived := EXISTS (SELECT 1 FROM clinics k WHERE k.id = NEW.clinic_id AND k.archived_at IS NOT NULL);
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER connections_clinic_archived BEFORE INSERT OR UPDATE OF clinic_id, clinic_archived ON connections
  FOR EACH ROW EXECUTE FUNCTION relink_connection_clinic_archived();--> statement-breakpoint
UPDATE connections c SET clinic_archived = true FROM clinics k WHERE k.id = c.clinic_id AND k.archived_at IS NOT NULL;
