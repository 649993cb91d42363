/**
 * Bench seed for the support console (issue 5's numbers): N clinics (default 100,000) with their
 * connections, open and resolved alerts and timeline events, generated inside PostgreSQL with
 * INSERT … SELECT generate_series so 100,000 clinics take seconds, not minutes.
 *
 * Distributions (deterministic: setseed): 70% Cliniko over ten shards weighted towards au, 30%
 * Nookal (au/eu/us, v3 85%); 82% healthy, 3% degraded, 8% action required, 3% reconnect pending,
 * 1% pending disconnect, 2% setup pending, 1% paused; failure codes per state as the health engine
 * sets them; 3% of clinics archived; names like "Harbourside Sports Physiotherapy" (≈ 10,000
 * distinct, so a word search matches thousands and a rare word a few); admin emails
 * "first.last@slug.example"; last probe within the sweep interval, failures up to 60 days old.
 *
 *   node tests/bench/console-seed.ts <database-url> [clinics]
 */
import postgres from "postgres";

const PLACES = [
  "Harbourside",
  "Yarra Valley",
  "Camden",
  "Maple Leaf",
  "Bondi Beach",
  "Leeds",
  "Fremantle",
  "Vancouver",
  "Ottawa",
  "Glasgow",
  "Brisbane Northside",
  "Dublin",
  "Austin",
  "Hobart",
  "Auckland",
  "Canberra",
  "Manchester",
  "Adelaide Hills",
  "Darwin",
  "Geelong",
  "Newcastle",
  "Wollongong",
  "Toowoomba",
  "Ballarat",
  "Bendigo",
  "Cairns",
  "Townsville",
  "Launceston",
  "Mackay",
  "Rockhampton",
  "Bristol",
  "Cardiff",
  "Edinburgh",
  "Belfast",
  "Liverpool",
  "Sheffield",
  "Nottingham",
  "Oxford",
  "Cambridge",
  "Brighton",
  "Toronto",
  "Calgary",
  "Montreal",
  "Halifax",
  "Victoria",
  "Denver",
  "Portland",
  "Seattle",
  "Boston",
  "Chicago",
  "Wellington",
  "Christchurch",
  "Dunedin",
  "Hamilton",
  "Tauranga",
  "Nelson",
  "Napier",
  "Rotorua",
  "Galway",
  "Cork",
];
const QUALIFIERS = ["", "Sports", "Family", "Community", "City", "Coastal", "Active", "Integrated", "Allied", "Northside", "Southside", "Central"];
const SPECIALTIES = [
  "Physiotherapy",
  "Osteopathy",
  "Chiropractic",
  "Podiatry",
  "Sports Clinic",
  "Allied Health",
  "Hand Therapy",
  "Pain Clinic",
  "Pilates & Physio",
  "Rehab Centre",
  "Wellness Collective",
  "Movement Studio",
  "Spine & Sport",
  "Pelvic Health",
  "Kinetics",
];
const FIRST = [
  "sarah",
  "tom",
  "priya",
  "marc",
  "jess",
  "declan",
  "grace",
  "mei",
  "sophie",
  "callum",
  "liam",
  "niamh",
  "diego",
  "ruby",
  "aroha",
  "hamish",
  "hannah",
  "angus",
  "isla",
  "noah",
];
const LAST = [
  "mitchell",
  "nguyen",
  "patel",
  "tremblay",
  "walker",
  "murphy",
  "kelly",
  "chen",
  "gagnon",
  "stewart",
  "anderson",
  "ryan",
  "martinez",
  "thompson",
  "ngata",
  "campbell",
  "davies",
  "roberts",
  "evans",
  "smith",
];

const lit = (xs: string[]) => `(array[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(",")}]::text[])`;

export async function seedConsoleBench(databaseUrl: string, n = 100_000, log: (line: string) => void = () => {}): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const t0 = performance.now();
    await sql.begin(async (tx) => {
      await tx`select setseed(0.42)`;
      await tx.unsafe(
        `truncate bulk_operation_items, bulk_operations, alert_deliveries, email_outbox, alert_notifications, alerts, reconnect_links, connection_events, connections, campaign_clinics, clinics cascade`,
      );
      // the random draws every later statement reads: one row per clinic
      await tx.unsafe(`
        create temporary table bench_draw on commit drop as
        select i, gen_random_uuid() as clinic_id, gen_random_uuid() as connection_id,
               random() as r_vendor, random() as r_region, random() as r_state, random() as r_failure,
               random() as r_time, random() as r_time2, random() as r_patients, random() as r_archived,
               (random() * 59)::int as place, (random() * 11)::int as qual, (random() * 14)::int as spec,
               (random() * 19)::int as first, (random() * 19)::int as last
        from generate_series(1, ${n}) as i`);
      await tx.unsafe(`
        create temporary table bench_fleet on commit drop as
        select d.*,
          ${lit(PLACES)}[d.place + 1] || ' ' || coalesce(nullif(${lit(QUALIFIERS)}[d.qual + 1], '') || ' ', '') || ${lit(SPECIALTIES)}[d.spec + 1] as name,
          ${lit(FIRST)}[d.first + 1] || '.' || ${lit(LAST)}[d.last + 1] || '@' ||
            regexp_replace(lower(${lit(PLACES)}[d.place + 1] || '-' || ${lit(SPECIALTIES)}[d.spec + 1]), '[^a-z]+', '-', 'g') || (d.i % 97) || '.example' as admin_email,
          case when d.r_vendor < 0.7 then 'cliniko' else 'nookal' end as vendor,
          case when d.r_vendor < 0.7 then
            (array['au1','au1','au1','au2','au2','au3','au4','uk1','uk1','uk2','uk3','ca1','ca1','eu1','us1'])[1 + floor(d.r_region * 15)::int]
          else (array['au','au','au','au','au','au','au','eu','eu','us'])[1 + floor(d.r_region * 10)::int] end as region,
          case when d.r_state < 0.82 then 'healthy' when d.r_state < 0.85 then 'degraded' when d.r_state < 0.93 then 'action_required'
               when d.r_state < 0.96 then 'reconnect_pending' when d.r_state < 0.97 then 'pending_disconnect' when d.r_state < 0.99 then 'setup_pending'
               else 'paused' end as state
        from bench_draw d`);
      await tx.unsafe(`
        insert into clinics (id, name, time_zone, country, admin_name, admin_email, archived_at, created_at, updated_at)
        select clinic_id, name,
          case when region like 'uk%' then 'Europe/London' when region like 'ca%' then 'America/Toronto' when region in ('us', 'us1') then 'America/Chicago'
               when region in ('eu', 'eu1') then 'Europe/Dublin' else 'Australia/Sydney' end,
          case when region like 'uk%' then 'GB' when region like 'ca%' then 'CA' when region in ('us', 'us1') then 'US' when region in ('eu', 'eu1') then 'IE' else 'AU' end,
          initcap(split_part(admin_email, '.', 1)) || ' ' || initcap(split_part(split_part(admin_email, '@', 1), '.', 2)),
          admin_email,
          case when r_archived < 0.03 then now() - make_interval(days => (r_time2 * 200)::int) end,
          now() - make_interval(days => 30 + (r_time * 900)::int), now() - make_interval(days => (r_time2 * 30)::int)
        from bench_fleet`);
      await tx.unsafe(`
        insert into connections (id, clinic_id, vendor, region, api_version, key_hint, key_updated_at, state, state_changed_at, failure_code,
                                 expects_patients, ever_had_patients, visible_patient_count, last_probe_at, last_success_at, first_failure_at,
                                 consecutive_failures, sync_state, last_sync_at, last_sync_success_at, created_at, updated_at)
        select connection_id, clinic_id, vendor, region,
          case when vendor = 'cliniko' then 'v1' when (i % 7) = 0 then 'v2' else 'v3' end,
          case when state = 'setup_pending' and r_failure < 0.5 then null else '…' || substr(md5(i::text), 1, 4) end,
          now() - make_interval(days => 30 + (r_time * 700)::int),
          state,
          case when state = 'healthy' then now() - make_interval(days => (r_time * 300)::int) else now() - make_interval(mins => (r_time2 * 60 * 24 * 60)::int) end,
          case state
            when 'healthy' then null
            when 'setup_pending' then case when r_failure < 0.5 then 'key_missing' end
            when 'paused' then 'integration_paused'
            when 'degraded' then (array['rate_limited','vendor_unavailable','vendor_unavailable','network'])[1 + floor(r_failure * 4)::int]
            when 'reconnect_pending' then (array['auth_rejected','auth_rejected','key_missing','permission_denied'])[1 + floor(r_failure * 4)::int]
            when 'pending_disconnect' then null
            else (array['auth_rejected','auth_rejected','auth_rejected','auth_rejected','permission_denied','permission_denied','no_patients_visible',
                        'no_patients_visible','wrong_region','key_missing','key_malformed','vendor_response_invalid'])[1 + floor(r_failure * 12)::int]
          end,
          true,
          state <> 'setup_pending',
          case when state = 'setup_pending' then null when state = 'action_required' and r_failure >= 0.5 and r_failure < 0.667 then 0
               else (exp(r_patients * 9))::int + 5 end,
          case when state = 'paused' then now() - make_interval(days => 3 + (r_time * 60)::int) else now() - make_interval(secs => (r_time * 300)::int) end,
          case when state = 'setup_pending' then null when state in ('healthy', 'pending_disconnect') then now() - make_interval(secs => (r_time * 300)::int)
               else now() - make_interval(mins => (r_time2 * 60 * 24 * 60)::int + 5) end,
          case when state in ('healthy', 'pending_disconnect', 'setup_pending') then null else now() - make_interval(mins => (r_time2 * 60 * 24 * 60)::int) end,
          case when state in ('healthy', 'pending_disconnect', 'setup_pending') then 0 else 1 + (r_failure * 40)::int end,
          -- sync: hourly for working connections (2% of them failing), never for the rest
          case when state in ('setup_pending', 'paused') then null when state = 'healthy' and r_patients < 0.02 then 'failed' when state = 'healthy' then 'succeeded'
               when state = 'degraded' then 'failed' else 'paused' end,
          case when state in ('setup_pending', 'paused') then null else now() - make_interval(secs => (r_time2 * 3600)::int) end,
          case when state in ('setup_pending', 'paused') then null when state = 'healthy' and r_patients >= 0.02 then now() - make_interval(secs => (r_time2 * 3600)::int)
               else now() - make_interval(mins => (r_time2 * 60 * 24 * 60)::int + 5) end,
          now() - make_interval(days => 30 + (r_time * 900)::int), now()
        from bench_fleet`);
      // alerts: an open one per connection that needs action or sees no patients; history of resolved ones
      await tx.unsafe(`
        insert into alerts (connection_id, clinic_id, kind, status, count, first_seen_at, last_seen_at, acknowledged_at, resolved_at, packet)
        select c.id, c.clinic_id,
          case when c.failure_code = 'no_patients_visible' then 'no_patients_visible' when c.state = 'degraded' then 'degraded_too_long' else 'connection_needs_action' end,
          case when d.r_patients < 0.15 then 'acknowledged' else 'open' end,
          1 + (d.r_failure * 20)::int, c.first_failure_at, greatest(c.first_failure_at, now() - make_interval(secs => (d.r_time * 300)::int)),
          case when d.r_patients < 0.15 then now() - interval '1 hour' end, null, '{}'::jsonb
        from connections c join bench_draw d on d.connection_id = c.id
        where c.state in ('action_required', 'reconnect_pending') or (c.state = 'degraded' and d.r_time2 < 0.3)`);
      await tx.unsafe(`
        insert into alerts (connection_id, clinic_id, kind, status, count, first_seen_at, last_seen_at, resolved_at, packet)
        select c.id, c.clinic_id, 'connection_needs_action', 'resolved', 2,
          now() - make_interval(days => 1 + (d.r_time * 80)::int, hours => 6), now() - make_interval(days => 1 + (d.r_time * 80)::int, hours => 2),
          now() - make_interval(days => 1 + (d.r_time * 80)::int), '{}'::jsonb
        from connections c join bench_draw d on d.connection_id = c.id
        where c.state = 'healthy' and d.r_failure < 0.12`);
      // timeline: created for every connection; a failure for every broken one; failure + recovery pairs for the recovery medians
      await tx.unsafe(`
        insert into connection_events (connection_id, clinic_id, at, kind, to_state, actor, message)
        select id, clinic_id, created_at, 'created', 'setup_pending', 'system', 'Connection created' from connections`);
      await tx.unsafe(`
        insert into connection_events (connection_id, clinic_id, at, kind, from_state, to_state, failure_code, http_status, actor, message)
        select id, clinic_id, first_failure_at, 'state_changed', 'healthy', state, failure_code, 401, 'probe', 'Probe failed'
        from connections where first_failure_at is not null`);
      await tx.unsafe(`
        insert into connection_events (connection_id, clinic_id, at, kind, from_state, to_state, failure_code, http_status, actor, message)
        select c.id, c.clinic_id, a.first_seen_at, 'state_changed', 'healthy', 'action_required', 'auth_rejected', 401, 'probe', 'Probe failed'
        from alerts a join connections c on c.id = a.connection_id where a.status = 'resolved'`);
      await tx.unsafe(`
        insert into connection_events (connection_id, clinic_id, at, kind, from_state, to_state, actor, message)
        select c.id, c.clinic_id, a.resolved_at, 'recovered', 'action_required', 'healthy', 'probe', 'Recovered'
        from alerts a join connections c on c.id = a.connection_id where a.status = 'resolved'`);
    });
    log(`seeded ${n.toLocaleString("en")} clinics in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = performance.now();
    await sql.unsafe("vacuum analyze");
    log(`vacuum analyze in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, count] = process.argv.slice(2);
  if (!url) {
    process.stderr.write("usage: node tests/bench/console-seed.ts <database-url> [clinics]\n");
    process.exit(2);
  }
  const { migrateDatabase } = await import("../../db/migrate.ts");
  await migrateDatabase(url);
  await seedConsoleBench(url, Number(count ?? 100_000), (l) => process.stdout.write(`${l}\n`));
}
