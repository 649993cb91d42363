import { clinikoKey, nookalV2Key, nookalV3Key } from "./keys.ts";
import type { FailureCode } from "../domain/vocabulary.ts";

/** One demo clinic as Relink's seed stores it: the key and the region Relink has configured. */
export interface DemoClinic {
  clinicName: string;
  timeZone: string;
  /** ISO 3166-1 alpha-2 */
  country: string;
  adminName: string;
  adminEmail: string;
  vendor: "cliniko" | "nookal";
  key: string;
  /** The Cliniko shard or Nookal region Relink has configured — wrong on purpose in some scenarios. */
  region: string;
  apiVersion: "v1" | "v2" | "v3";
  scenario: string;
  /** What a probe against a freshly started simulator must conclude; null = healthy. */
  expectedFailure: FailureCode | null;
  /** For wrong_region: where the key actually works. */
  suggestedRegion?: string;
  /** Seeded paused by support, with this reason (the probe then never asks the vendor: integration_paused). */
  pausedReason?: string;
}

/**
 * What a demo vendor account does wrong, mapped onto the simulator's faults (simulator/world.ts).
 * Each one is how the real vendors misbehave, so the real probe and classifier find the code.
 */
export interface DemoFaults {
  /** A 503 maintenance page on every request. */
  outage?: boolean;
  /** The user's request budget is spent by another integration: every request gets a 429 whose reset is beyond the probe's wait budget. */
  budgetExhausted?: boolean;
  /** A proxy cuts every answer in half (truncated JSON). */
  truncated?: boolean;
  /** The connection is reset before any answer (a firewall or proxy dropping it). */
  connectionReset?: boolean;
}

/** The vendor-side truth the simulator's default world is built from (never seen by Relink's seed). */
export type DemoVendorAccount =
  | {
      vendor: "cliniko";
      label: string;
      /** Where the account actually lives. */
      shard: string;
      businessName: string;
      timeZone: string;
      country: string;
      patients: number;
      user: { firstName: string; lastName: string; email: string; role: string; denied?: Record<string, 403 | 404> };
      keys: { key: string; status: "active" | "archived" }[];
      faults?: DemoFaults;
    }
  | {
      vendor: "nookal";
      label: string;
      region: "au" | "eu" | "us";
      practiceName: string;
      timeZone: string;
      country: string;
      /** Patients per location, by position. */
      locations: { name: string; patients: number }[];
      keys: { key: string; apiVersion: "v2" | "v3"; status: "enabled" | "disabled"; locations: number[]; clinicalNotes: boolean }[];
      faults?: DemoFaults;
    };

const K = {
  harbourside: clinikoKey("harbourside"),
  yarra: clinikoKey("yarra-valley", "au2"),
  camden: clinikoKey("camden", "uk1"),
  mapleLeaf: clinikoKey("maple-leaf", "ca1"),
  bondiArchived: clinikoKey("bondi-archived", "au3"),
  bondiCurrent: clinikoKey("bondi-current", "au3"),
  coogee: clinikoKey("coogee-neighbour", "au3"),
  leeds: clinikoKey("leeds-legacy"),
  fremantle: clinikoKey("fremantle", "au4"),
  vancouver: clinikoKey("vancouver-trial", "ca1"),
  vancouverReal: clinikoKey("vancouver-real", "ca1"),
  ottawa: clinikoKey("ottawa", "ca1"),
  glasgow: `${clinikoKey("glasgow")}-zz9x`,
  brisbane: nookalV3Key("brisbane"),
  dublin: nookalV3Key("dublin"),
  austin: nookalV3Key("austin"),
  hobart: nookalV3Key("hobart"),
  auckland: nookalV3Key("auckland"),
  canberra: nookalV3Key("canberra"),
  adelaide: nookalV2Key("adelaide"),
  manchester: nookalV3Key("manchester"),
  sunshine: clinikoKey("sunshine-coast", "au2"),
  bristol: clinikoKey("bristol-back", "uk1"),
  christchurch: nookalV3Key("christchurch"),
  geelong: nookalV3Key("geelong"),
};

export const DEMO_FLEET: readonly DemoClinic[] = [
  {
    clinicName: "Harbourside Physiotherapy",
    timeZone: "Australia/Sydney",
    country: "AU",
    adminName: "Sarah Mitchell",
    adminEmail: "sarah@harbourside-physio.example",
    vendor: "cliniko",
    key: K.harbourside,
    region: "au1",
    apiVersion: "v1",
    scenario: "healthy_cliniko_au1_no_suffix",
    expectedFailure: null,
  },
  {
    clinicName: "Yarra Valley Osteopathy",
    timeZone: "Australia/Melbourne",
    country: "AU",
    adminName: "Tom Nguyen",
    adminEmail: "tom@yarravalleyosteo.example",
    vendor: "cliniko",
    key: K.yarra,
    region: "au2",
    apiVersion: "v1",
    scenario: "healthy_cliniko_au2",
    expectedFailure: null,
  },
  {
    clinicName: "Camden Sports Clinic",
    timeZone: "Europe/London",
    country: "GB",
    adminName: "Priya Patel",
    adminEmail: "priya@camdensports.example",
    vendor: "cliniko",
    key: K.camden,
    region: "uk1",
    apiVersion: "v1",
    scenario: "healthy_cliniko_uk1",
    expectedFailure: null,
  },
  {
    clinicName: "Maple Leaf Chiropractic",
    timeZone: "America/Toronto",
    country: "CA",
    adminName: "Marc Tremblay",
    adminEmail: "marc@mapleleafchiro.example",
    vendor: "cliniko",
    key: K.mapleLeaf,
    region: "ca1",
    apiVersion: "v1",
    scenario: "healthy_cliniko_ca1",
    expectedFailure: null,
  },
  {
    clinicName: "Bondi Beach Podiatry",
    timeZone: "Australia/Sydney",
    country: "AU",
    adminName: "Jess Walker",
    adminEmail: "jess@bondipodiatry.example",
    vendor: "cliniko",
    key: K.bondiArchived,
    region: "au3",
    apiVersion: "v1",
    scenario: "cliniko_key_archived",
    expectedFailure: "auth_rejected",
  },
  {
    clinicName: "Leeds Movement Studio",
    timeZone: "Europe/London",
    country: "GB",
    adminName: "Declan Murphy",
    adminEmail: "declan@leedsmovement.example",
    vendor: "cliniko",
    key: K.leeds,
    region: "au1",
    apiVersion: "v1",
    scenario: "cliniko_wrong_shard_no_suffix",
    expectedFailure: "wrong_region",
    suggestedRegion: "uk2",
  },
  {
    clinicName: "Fremantle Allied Health",
    timeZone: "Australia/Perth",
    country: "AU",
    adminName: "Grace Kelly",
    adminEmail: "grace@fremantleallied.example",
    vendor: "cliniko",
    key: K.fremantle,
    region: "au4",
    apiVersion: "v1",
    scenario: "cliniko_role_lacks_patient_access",
    expectedFailure: "permission_denied",
  },
  {
    clinicName: "Vancouver Wellness Collective",
    timeZone: "America/Vancouver",
    country: "CA",
    adminName: "Mei Chen",
    adminEmail: "mei@vanwellness.example",
    vendor: "cliniko",
    key: K.vancouver,
    region: "ca1",
    apiVersion: "v1",
    scenario: "cliniko_key_sees_zero_patients",
    expectedFailure: "no_patients_visible",
  },
  {
    clinicName: "Ottawa Rehab Centre",
    timeZone: "America/Toronto",
    country: "CA",
    adminName: "Sophie Gagnon",
    adminEmail: "sophie@ottawarehab.example",
    vendor: "cliniko",
    key: K.ottawa,
    region: "ca1",
    apiVersion: "v1",
    scenario: "cliniko_vendor_outage",
    expectedFailure: "vendor_unavailable",
  },
  {
    clinicName: "Glasgow Foot Clinic",
    timeZone: "Europe/London",
    country: "GB",
    adminName: "Callum Stewart",
    adminEmail: "callum@glasgowfoot.example",
    vendor: "cliniko",
    key: K.glasgow,
    region: "uk1",
    apiVersion: "v1",
    scenario: "cliniko_key_bad_suffix",
    expectedFailure: "key_malformed",
  },
  {
    clinicName: "Brisbane Northside Physio",
    timeZone: "Australia/Brisbane",
    country: "AU",
    adminName: "Liam Anderson",
    adminEmail: "liam@northsidephysio.example",
    vendor: "nookal",
    key: K.brisbane,
    region: "au",
    apiVersion: "v3",
    scenario: "healthy_nookal_v3_au",
    expectedFailure: null,
  },
  {
    clinicName: "Dublin Pelvic Health",
    timeZone: "Europe/Dublin",
    country: "IE",
    adminName: "Niamh Ryan",
    adminEmail: "niamh@dublinpelvic.example",
    vendor: "nookal",
    key: K.dublin,
    region: "eu",
    apiVersion: "v3",
    scenario: "healthy_nookal_v3_eu",
    expectedFailure: null,
  },
  {
    clinicName: "Austin Spine & Sport",
    timeZone: "America/Chicago",
    country: "US",
    adminName: "Diego Martinez",
    adminEmail: "diego@austinspine.example",
    vendor: "nookal",
    key: K.austin,
    region: "us",
    apiVersion: "v3",
    scenario: "healthy_nookal_v3_us",
    expectedFailure: null,
  },
  {
    clinicName: "Hobart Hand Therapy",
    timeZone: "Australia/Hobart",
    country: "AU",
    adminName: "Ruby Thompson",
    adminEmail: "ruby@hobarthand.example",
    vendor: "nookal",
    key: K.hobart,
    region: "au",
    apiVersion: "v3",
    scenario: "nookal_key_disabled",
    expectedFailure: "auth_rejected",
  },
  {
    clinicName: "Auckland Kinetics",
    timeZone: "Pacific/Auckland",
    country: "NZ",
    adminName: "Aroha Ngata",
    adminEmail: "aroha@aucklandkinetics.example",
    vendor: "nookal",
    key: K.auckland,
    region: "us",
    apiVersion: "v3",
    scenario: "nookal_wrong_region",
    expectedFailure: "wrong_region",
    suggestedRegion: "au",
  },
  {
    clinicName: "Canberra Pain Clinic",
    timeZone: "Australia/Sydney",
    country: "AU",
    adminName: "Hamish Campbell",
    adminEmail: "hamish@canberrapain.example",
    vendor: "nookal",
    key: K.canberra,
    region: "au",
    apiVersion: "v3",
    scenario: "nookal_key_scoped_to_empty_location",
    expectedFailure: "no_patients_visible",
  },
  {
    clinicName: "Manchester Pilates & Physio",
    timeZone: "Europe/London",
    country: "GB",
    adminName: "Hannah Davies",
    adminEmail: "hannah@manchesterpilates.example",
    vendor: "nookal",
    key: K.manchester,
    region: "eu",
    apiVersion: "v3",
    scenario: "nookal_key_without_clinical_notes",
    expectedFailure: "permission_denied",
  },
  {
    clinicName: "Adelaide Hills Physio",
    timeZone: "Australia/Adelaide",
    country: "AU",
    adminName: "Angus Roberts",
    adminEmail: "angus@adelaidehills.example",
    vendor: "nookal",
    key: K.adelaide,
    region: "au",
    apiVersion: "v2",
    scenario: "healthy_nookal_v2",
    expectedFailure: null,
  },
  {
    clinicName: "Darwin Family Physio",
    timeZone: "Australia/Darwin",
    country: "AU",
    adminName: "Isla Evans",
    adminEmail: "isla@darwinfamily.example",
    vendor: "nookal",
    key: "",
    region: "au",
    apiVersion: "v3",
    scenario: "key_never_entered",
    expectedFailure: "key_missing",
  },
  {
    clinicName: "Sunshine Coast Sports Physio",
    timeZone: "Australia/Brisbane",
    country: "AU",
    adminName: "Chloe Bennett",
    adminEmail: "chloe@sunshinecoastsports.example",
    vendor: "cliniko",
    key: K.sunshine,
    region: "au2",
    apiVersion: "v1",
    scenario: "cliniko_user_budget_spent_elsewhere",
    expectedFailure: "rate_limited",
  },
  {
    clinicName: "Bristol Back Clinic",
    timeZone: "Europe/London",
    country: "GB",
    adminName: "Oliver Hughes",
    adminEmail: "oliver@bristolback.example",
    vendor: "cliniko",
    key: K.bristol,
    region: "uk1",
    apiVersion: "v1",
    scenario: "cliniko_answers_truncated_by_proxy",
    expectedFailure: "vendor_response_invalid",
  },
  {
    clinicName: "Christchurch Sports Medicine",
    timeZone: "Pacific/Auckland",
    country: "NZ",
    adminName: "Mere Parata",
    adminEmail: "mere@chchsportsmed.example",
    vendor: "nookal",
    key: K.christchurch,
    region: "au",
    apiVersion: "v3",
    scenario: "nookal_connection_reset",
    expectedFailure: "network",
  },
  {
    clinicName: "Geelong Pilates Studio",
    timeZone: "Australia/Melbourne",
    country: "AU",
    adminName: "Zoe Papadopoulos",
    adminEmail: "zoe@geelongpilates.example",
    vendor: "nookal",
    key: K.geelong,
    region: "au",
    apiVersion: "v3",
    scenario: "paused_by_support_while_clinic_moves_rooms",
    expectedFailure: "integration_paused",
    pausedReason: "Clinic asked us to pause while they move rooms (back on the 1st)",
  },
];

/**
 * A working key of ANOTHER practice's account (docs/decisions/0026): no demo clinic stores it, so
 * pasting it into Bondi Podiatry's reconnect link shows "This key belongs to Coogee Sports Physio.
 * Is that your practice?". Pasting a key another demo clinic stores (e.g. Harbourside's) shows the
 * shared-key refusal.
 */
export const DEMO_OTHER_PRACTICE_KEY = K.coogee;

export const DEMO_VENDOR_ACCOUNTS: readonly DemoVendorAccount[] = [
  {
    vendor: "cliniko",
    label: "coogee",
    shard: "au3",
    businessName: "Coogee Sports Physio",
    timeZone: "Australia/Sydney",
    country: "AU",
    patients: 140,
    user: { firstName: "Mia", lastName: "Russo", email: "mia@coogeesportsphysio.example", role: "administrator" },
    keys: [{ key: K.coogee, status: "active" }],
  },
  {
    vendor: "cliniko",
    label: "harbourside",
    shard: "au1",
    businessName: "Harbourside Physiotherapy",
    timeZone: "Australia/Sydney",
    country: "AU",
    patients: 2400,
    user: { firstName: "Sarah", lastName: "Mitchell", email: "sarah@harbourside-physio.example", role: "administrator" },
    keys: [{ key: K.harbourside, status: "active" }],
  },
  {
    vendor: "cliniko",
    label: "yarra-valley",
    shard: "au2",
    businessName: "Yarra Valley Osteopathy",
    timeZone: "Australia/Melbourne",
    country: "AU",
    patients: 1600,
    user: { firstName: "Tom", lastName: "Nguyen", email: "tom@yarravalleyosteo.example", role: "administrator" },
    keys: [{ key: K.yarra, status: "active" }],
  },
  {
    vendor: "cliniko",
    label: "camden",
    shard: "uk1",
    businessName: "Camden Sports Clinic",
    timeZone: "Europe/London",
    country: "GB",
    patients: 3200,
    user: { firstName: "Priya", lastName: "Patel", email: "priya@camdensports.example", role: "administrator" },
    keys: [{ key: K.camden, status: "active" }],
  },
  {
    vendor: "cliniko",
    label: "maple-leaf",
    shard: "ca1",
    businessName: "Maple Leaf Chiropractic",
    timeZone: "America/Toronto",
    country: "CA",
    patients: 900,
    user: { firstName: "Marc", lastName: "Tremblay", email: "marc@mapleleafchiro.example", role: "administrator" },
    keys: [{ key: K.mapleLeaf, status: "active" }],
  },
  {
    vendor: "cliniko",
    label: "bondi",
    shard: "au3",
    businessName: "Bondi Beach Podiatry",
    timeZone: "Australia/Sydney",
    country: "AU",
    patients: 1300,
    user: { firstName: "Jess", lastName: "Walker", email: "jess@bondipodiatry.example", role: "administrator" },
    keys: [
      { key: K.bondiArchived, status: "archived" },
      { key: K.bondiCurrent, status: "active" },
    ],
  },
  {
    vendor: "cliniko",
    label: "leeds",
    shard: "uk2",
    businessName: "Leeds Movement Studio",
    timeZone: "Europe/London",
    country: "GB",
    patients: 1200,
    user: { firstName: "Declan", lastName: "Murphy", email: "declan@leedsmovement.example", role: "administrator" },
    keys: [{ key: K.leeds, status: "active" }],
  },
  {
    vendor: "cliniko",
    label: "fremantle",
    shard: "au4",
    businessName: "Fremantle Allied Health",
    timeZone: "Australia/Perth",
    country: "AU",
    patients: 1000,
    user: { firstName: "Grace", lastName: "Kelly", email: "grace@fremantleallied.example", role: "bookkeeper", denied: { patients: 403 } },
    keys: [{ key: K.fremantle, status: "active" }],
  },
  {
    vendor: "cliniko",
    label: "vancouver-trial",
    shard: "ca1",
    businessName: "Mei Chen (trial)",
    timeZone: "America/Vancouver",
    country: "CA",
    patients: 0,
    user: { firstName: "Mei", lastName: "Chen", email: "mei@vanwellness.example", role: "administrator" },
    keys: [{ key: K.vancouver, status: "active" }],
  },
  {
    vendor: "cliniko",
    label: "vancouver-real",
    shard: "ca1",
    businessName: "Vancouver Wellness Collective",
    timeZone: "America/Vancouver",
    country: "CA",
    patients: 1400,
    user: { firstName: "Mei", lastName: "Chen", email: "mei@vanwellness.example", role: "administrator" },
    keys: [{ key: K.vancouverReal, status: "active" }],
  },
  {
    vendor: "cliniko",
    label: "ottawa",
    shard: "ca1",
    businessName: "Ottawa Rehab Centre",
    timeZone: "America/Toronto",
    country: "CA",
    patients: 1100,
    user: { firstName: "Sophie", lastName: "Gagnon", email: "sophie@ottawarehab.example", role: "administrator" },
    keys: [{ key: K.ottawa, status: "active" }],
    faults: { outage: true },
  },
  {
    vendor: "nookal",
    label: "brisbane",
    region: "au",
    practiceName: "Brisbane Northside Physio",
    timeZone: "Australia/Brisbane",
    country: "AU",
    locations: [
      { name: "Chermside", patients: 1200 },
      { name: "Aspley", patients: 800 },
    ],
    keys: [{ key: K.brisbane, apiVersion: "v3", status: "enabled", locations: [0, 1], clinicalNotes: true }],
  },
  {
    vendor: "nookal",
    label: "dublin",
    region: "eu",
    practiceName: "Dublin Pelvic Health",
    timeZone: "Europe/Dublin",
    country: "IE",
    locations: [{ name: "Ranelagh", patients: 800 }],
    keys: [{ key: K.dublin, apiVersion: "v3", status: "enabled", locations: [0], clinicalNotes: true }],
  },
  {
    vendor: "nookal",
    label: "austin",
    region: "us",
    practiceName: "Austin Spine & Sport",
    timeZone: "America/Chicago",
    country: "US",
    locations: [{ name: "South Congress", patients: 1500 }],
    keys: [{ key: K.austin, apiVersion: "v3", status: "enabled", locations: [0], clinicalNotes: true }],
  },
  {
    vendor: "nookal",
    label: "hobart",
    region: "au",
    practiceName: "Hobart Hand Therapy",
    timeZone: "Australia/Hobart",
    country: "AU",
    locations: [{ name: "Sandy Bay", patients: 650 }],
    keys: [{ key: K.hobart, apiVersion: "v3", status: "disabled", locations: [0], clinicalNotes: true }],
  },
  {
    vendor: "nookal",
    label: "auckland",
    region: "au",
    practiceName: "Auckland Kinetics",
    timeZone: "Pacific/Auckland",
    country: "NZ",
    locations: [{ name: "Ponsonby", patients: 700 }],
    keys: [{ key: K.auckland, apiVersion: "v3", status: "enabled", locations: [0], clinicalNotes: true }],
  },
  {
    vendor: "nookal",
    label: "canberra",
    region: "au",
    practiceName: "Canberra Pain Clinic",
    timeZone: "Australia/Sydney",
    country: "AU",
    locations: [
      { name: "Woden", patients: 950 },
      { name: "Gungahlin (opening soon)", patients: 0 },
    ],
    keys: [{ key: K.canberra, apiVersion: "v3", status: "enabled", locations: [1], clinicalNotes: true }],
  },
  {
    vendor: "nookal",
    label: "manchester",
    region: "eu",
    practiceName: "Manchester Pilates & Physio",
    timeZone: "Europe/London",
    country: "GB",
    locations: [{ name: "Didsbury", patients: 600 }],
    keys: [{ key: K.manchester, apiVersion: "v3", status: "enabled", locations: [0], clinicalNotes: false }],
  },
  {
    vendor: "nookal",
    label: "adelaide",
    region: "au",
    practiceName: "Adelaide Hills Physio",
    timeZone: "Australia/Adelaide",
    country: "AU",
    locations: [{ name: "Stirling", patients: 1100 }],
    keys: [{ key: K.adelaide, apiVersion: "v2", status: "enabled", locations: [0], clinicalNotes: true }],
  },
  {
    vendor: "cliniko",
    label: "sunshine-coast",
    shard: "au2",
    businessName: "Sunshine Coast Sports Physio",
    timeZone: "Australia/Brisbane",
    country: "AU",
    patients: 1700,
    user: { firstName: "Chloe", lastName: "Bennett", email: "chloe@sunshinecoastsports.example", role: "administrator" },
    keys: [{ key: K.sunshine, status: "active" }],
    faults: { budgetExhausted: true },
  },
  {
    vendor: "cliniko",
    label: "bristol-back",
    shard: "uk1",
    businessName: "Bristol Back Clinic",
    timeZone: "Europe/London",
    country: "GB",
    patients: 750,
    user: { firstName: "Oliver", lastName: "Hughes", email: "oliver@bristolback.example", role: "administrator" },
    keys: [{ key: K.bristol, status: "active" }],
    faults: { truncated: true },
  },
  {
    vendor: "nookal",
    label: "christchurch",
    region: "au",
    practiceName: "Christchurch Sports Medicine",
    timeZone: "Pacific/Auckland",
    country: "NZ",
    locations: [{ name: "Riccarton", patients: 880 }],
    keys: [{ key: K.christchurch, apiVersion: "v3", status: "enabled", locations: [0], clinicalNotes: true }],
    faults: { connectionReset: true },
  },
  {
    vendor: "nookal",
    label: "geelong",
    region: "au",
    practiceName: "Geelong Pilates Studio",
    timeZone: "Australia/Melbourne",
    country: "AU",
    locations: [{ name: "Pakington Street", patients: 520 }],
    keys: [{ key: K.geelong, apiVersion: "v3", status: "enabled", locations: [0], clinicalNotes: true }],
  },
];
