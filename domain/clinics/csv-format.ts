/** The clinic import's columns and limits, apart from the importer so the page can show them without server code. */
export const CLINIC_CSV_COLUMNS = ["name", "time_zone", "country", "admin_name", "admin_email", "vendor", "region", "api_version", "key"] as const;
export const MAX_IMPORT_ROWS = 5000;
