import type { JSONWebKeySet } from 'jose';
import type { LoadedKey } from './load-private-key.js';
import type { SigningKeys } from './signing-keys.js';

/**
 * The signing keys in force, swappable at run time (rotation on reload):
 * readers always see one consistent set, and the JWKS document is
 * serialised once per set, not per request.
 */
export interface Keyring extends SigningKeys {
  /** the JWKS document as sent on /.well-known/jwks.json */
  readonly jwksJson: string;
  replace(next: SigningKeys): void;
}

export function createKeyring(initial: SigningKeys): Keyring {
  let keys = initial;
  let json = JSON.stringify(initial.jwks());
  return {
    get active(): LoadedKey { return keys.active; },
    get published(): readonly LoadedKey[] { return keys.published; },
    get jwksJson() { return json; },
    jwks(): JSONWebKeySet { return keys.jwks(); },
    replace(next) {
      keys = next;
      json = JSON.stringify(next.jwks());
    },
  };
}
