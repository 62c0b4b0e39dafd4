// An nkey seed file holds one user seed (SU…), the identity's private key. Its public key (U…) is
// what the server configuration lists and what start-up logs name.
import { fromSeed } from '@nats-io/nkeys';

/** The user public key of a seed; throws with a reason for anything that is not one user seed. */
export function publicKeyOfSeed(text: string): string {
  const seed = text.trim();
  if (!seed.startsWith('SU')) throw new Error('is not an nkey user seed (expected one line starting with SU)');
  try {
    return fromSeed(new TextEncoder().encode(seed)).getPublicKey();
  } catch {
    throw new Error('is not a valid nkey user seed');
  }
}
