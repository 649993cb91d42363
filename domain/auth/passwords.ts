import { hash, verify } from "@node-rs/argon2";

// why: Algorithm is an ambient const enum, which type stripping cannot inline; 2 is Argon2id
const ARGON2ID = 2;

// why: OWASP's argon2id baseline (19 MiB, 2 passes) keeps a sign-in under ~50 ms on this hardware
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A hash of nothing anyone knows, verified against when the email is unknown so timing does not reveal accounts. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(`unknown-${Math.random()}`);
  return dummy;
}
