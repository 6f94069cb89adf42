import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { UnavailableError } from '@clientela/contracts';
import type { Principal } from '../request-context';

/** JWT_* of the gateway: where the keys come from (an identity provider's JWKS, or a shared secret), and what a token must say. */
export interface BearerTokenConfig {
  /** The identity provider's JSON Web Key Set (Keycloak, Auth0, Entra ID, Okta …): RS/PS/ES/EdDSA tokens. */
  jwksUrl?: string;
  /** A shared secret of at least 32 characters: HS256/384/512 tokens (a single-tenant setup without an identity provider). */
  secret?: string;
  issuer: string;
  audience: string;
  /** The claim that lists the person's roles (an array, or a space-separated string; a dotted path reaches into an object); `admin` among them makes an admin. */
  rolesClaim: string;
}

/**
 * A token the gateway does not accept, and why (the `error_description` of RFC 6750's challenge).
 * `forged` when it was not signed by a key we trust (or is no JWT at all): those count against the
 * client's address as a refused API key does; a genuine token that expired or names another
 * audience is an app to fix, not a guess, and must not lock out an office behind one address.
 */
export class InvalidBearerTokenError extends Error {
  override readonly name = 'InvalidBearerTokenError';
  constructor(
    message: string,
    readonly forged = false,
  ) {
    super(message);
  }
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const SYMMETRIC = ['HS256', 'HS384', 'HS512'];
/** A token without an expiry would be good for ever. */
const REQUIRED = ['exp'];
/** What the actor header and event metadata can carry (printable ASCII). */
const PRINTABLE = /^[\x21-\x7e]{1,190}$/;

const reasonOf = (error: unknown): string => {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not accepted (${error.reason})`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token\'s signature does not verify';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token\'s algorithm is not accepted';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the identity provider matches the token';
  return 'the token is not a valid JWT';
};

/**
 * Bearer tokens of people (`Authorization: Bearer <JWT>`), as the design has them beside API keys
 * for services: signature, issuer, audience, expiry (30 s of clock skew allowed), and a `sub` that
 * becomes the actor `user:<sub>`. The identity provider's keys are fetched from its JWKS and kept
 * (jose's remote key set: fetched again for a key id it has not seen, at most every 30 s).
 */
export class BearerTokens {
  private readonly key: JWTVerifyGetKey | Uint8Array;
  private readonly options: JWTVerifyOptions;

  constructor(private readonly config: BearerTokenConfig) {
    if (config.jwksUrl) this.key = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });
    else if (config.secret) this.key = new TextEncoder().encode(config.secret);
    else throw new Error('BearerTokens needs a JWKS URL or a secret');
    // Keys of one kind only, so that neither can stand in for the other (HS256 signed with the public key).
    const algorithms = config.jwksUrl ? ASYMMETRIC : SYMMETRIC;
    this.options = { issuer: config.issuer, audience: config.audience, clockTolerance: 30, algorithms, requiredClaims: REQUIRED };
  }

  /** The person a valid token names; InvalidBearerTokenError for any other token; UnavailableError when the keys cannot be fetched. */
  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      // Two calls only for jwtVerify's overloads (a key set or a key), not two behaviours.
      ({ payload } = typeof this.key === 'function' ? await jwtVerify(token, this.key, this.options) : await jwtVerify(token, this.key, this.options));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
        throw new UnavailableError('the identity provider\'s keys cannot be fetched right now', 5);
      }
      const genuine = error instanceof errors.JWTExpired || error instanceof errors.JWTClaimValidationFailed;
      throw new InvalidBearerTokenError(reasonOf(error), !genuine);
    }
    if (typeof payload.sub !== 'string' || !PRINTABLE.test(payload.sub)) throw new InvalidBearerTokenError('the token\'s sub claim must be 1 to 190 printable ASCII characters');
    const name = [payload.preferred_username, payload.email, payload.sub].find((value): value is string => typeof value === 'string' && PRINTABLE.test(value));
    return { kind: 'user', id: payload.sub, name: name ?? payload.sub, role: this.rolesOf(payload).includes('admin') ? 'admin' : 'service', rateLimitPerSecond: null };
  }

  /** The claim by its name (Auth0's `https://…/roles`), else as a path (Keycloak's `realm_access.roles`). */
  private rolesOf(payload: JWTPayload): string[] {
    const claim = this.config.rolesClaim;
    const roles = claim in payload ? payload[claim] : claim.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), payload);
    if (Array.isArray(roles)) return roles.filter((role): role is string => typeof role === 'string');
    return typeof roles === 'string' ? roles.split(' ') : [];
  }
}
