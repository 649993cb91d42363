/** Name pools for realistic, deterministic people in AU, UK, CA and US clinics. */
export const FIRST_NAMES = [
  "Olivia", "Charlotte", "Amelia", "Isla", "Mia", "Ava", "Grace", "Chloe", "Sophie", "Emily",
  "Harper", "Ella", "Zoe", "Ruby", "Matilda", "Evie", "Lucy", "Hannah", "Aisha", "Priya",
  "Mei", "Yuki", "Fatima", "Siobhan", "Niamh", "Aroha", "Leilani", "Maria", "Sofia", "Ingrid",
  "Oliver", "Jack", "Noah", "William", "Henry", "Leo", "Lucas", "Thomas", "James", "Charlie",
  "Harrison", "Ethan", "Liam", "Mason", "Archie", "Hamish", "Angus", "Rohan", "Arjun", "Wei",
  "Hiroshi", "Mohammed", "Omar", "Tane", "Nikau", "Callum", "Declan", "Mateo", "Diego", "Lars",
] as const;

export const LAST_NAMES = [
  "Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Johnson", "White", "Martin", "Anderson",
  "Thompson", "Nguyen", "Thomas", "Walker", "Harris", "Lee", "Ryan", "Robinson", "Kelly", "King",
  "Davies", "Evans", "Roberts", "Wright", "Murphy", "O'Brien", "MacDonald", "Campbell", "Stewart", "Patel",
  "Singh", "Chen", "Wang", "Kim", "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Leblanc",
  "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Clark", "Lewis", "Young", "Allen", "Scott",
  "Ngata", "Parata", "Tanaka", "Sato", "Kowalski", "Novak", "Schmidt", "Müller", "Rossi", "Papadopoulos",
] as const;

export const DESIGNATIONS = ["Physiotherapist", "Osteopath", "Chiropractor", "Myotherapist", "Podiatrist", "Psychologist", "Dietitian", "Exercise Physiologist"] as const;

export const APPOINTMENT_TYPE_NAMES: readonly [string, number][] = [
  ["Initial Consultation", 60],
  ["Standard Consultation", 30],
  ["Extended Consultation", 45],
  ["Review", 20],
  ["Telehealth Consult", 30],
  ["Group Class", 60],
  ["Dry Needling", 30],
  ["Return Appointment (legacy)", 30],
];

export const CANCELLATION_REASONS = ["Feeling better", "Condition worse", "Sick", "Away", "Work", "Other"] as const;
