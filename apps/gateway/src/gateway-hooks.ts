import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpException, HttpStatus, UnauthorizedException } from '@nestjs/common';
import { UnavailableError } from '@clientela/contracts';
import { CORRELATION_ID_HEADER, REQUEST_ID_HEADER, requestIdsOf, type StructuredLogger } from '@clientela/platform';
import { InvalidBearerTokenError, type BearerTokens } from './bearer-tokens/bearer-tokens';
import type { RateDecision, RateLimits } from './rate-limits/rate-limits';
import { contextOf, setContextOf, type Principal } from './request-context';
import { API_KEY_HEADER } from './routing/forwarded-headers';
import { sendProblem } from './routing/proxy';

export interface KeyVerifier {
  /** The key's principal when the key is known and not revoked, else null. */
  verify(key: string): Promise<Principal | null>;
}

export const WWW_AUTHENTICATE = 'ApiKey realm="clientela", header="X-Api-Key"';

const safeDecode = (path: string): string => {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
};

/**
 * Deny by default: anything under /api/v1 needs a key, judged on the matched route and on the
 * path as sent and as decoded (the router decodes `%61pi`, a prefix test on the raw URL alone
 * would let that through).
 */
export const needsCredentials = (rawUrl: string, routePattern: string | undefined): boolean => {
  const underApi = (path: string) => {
    const lower = path.toLowerCase();
    return lower === '/api/v1' || lower.startsWith('/api/v1/');
  };
  const path = rawUrl.split('?', 1)[0];
  return underApi(path) || underApi(safeDecode(path)) || (routePattern !== undefined && underApi(routePattern));
};

const deny = (request: FastifyRequest, reply: FastifyReply, detail: string, challenge = WWW_AUTHENTICATE) =>
  sendProblem(request, reply, new UnauthorizedException(detail), { 'www-authenticate': challenge });

/** RFC 6750's challenge for a bearer token that was refused; the reason is ours, never the token's text. */
const bearerChallenge = (reason: string) => `Bearer realm="clientela", error="invalid_token", error_description="${reason.replace(/["\\]/g, "'")}"`;

/** The token of `Authorization: Bearer <token>`; undefined for no header or another scheme. */
const bearerOf = (authorization: string | undefined): string | undefined => {
  const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(authorization ?? '');
  return match?.[1];
};

const tooMany = (request: FastifyRequest, reply: FastifyReply, detail: string, decision: RateDecision) =>
  sendProblem(request, reply, new HttpException(detail, HttpStatus.TOO_MANY_REQUESTS), { ...decision.headers, 'retry-after': String(Math.max(1, decision.retryAfterSeconds)) });

/**
 * Root-level Fastify hooks, so they run for Nest's routes, the proxy routes and 404s alike:
 * every request gets its ids (echoed on the response), then /api/v1 requests need a valid credential
 * (an API key, or a person's bearer token when JWT_* is configured),
 * within its rate and from an address that has not been refused too often (`limits`).
 * Registered before the proxy plugin, which inherits them.
 */
export const registerGatewayHooks = (fastify: FastifyInstance, deps: { keys: KeyVerifier; logger: StructuredLogger; limits?: RateLimits; tokens?: BearerTokens }): void => {
  const { limits, tokens } = deps;
  const required = tokens ? 'an X-Api-Key header or an Authorization: Bearer token is required' : 'an X-Api-Key header is required';
  const challenges = tokens ? `${WWW_AUTHENTICATE}, Bearer realm="clientela"` : WWW_AUTHENTICATE;
  fastify.addHook('onRequest', async (request, reply) => {
    const ids = requestIdsOf(request.headers);
    setContextOf(request, { ids });
    reply.header(REQUEST_ID_HEADER, ids.requestId).header(CORRELATION_ID_HEADER, ids.correlationId);
    if (!needsCredentials(request.url, request.routeOptions.url)) return;
    const key = request.headers[API_KEY_HEADER];
    const hasKey = typeof key === 'string' && key !== '';
    const token = bearerOf(request.headers.authorization);
    if (!hasKey && token === undefined) return deny(request, reply, required, challenges);
    if (hasKey && token !== undefined) return deny(request, reply, 'send one credential, X-Api-Key or Authorization: Bearer, not both', challenges);
    if (token !== undefined && !tokens) {
      return deny(request, reply, 'bearer tokens are not accepted here: the gateway has no JWT configuration (JWT_JWKS_URL or JWT_SECRET)', challenges);
    }
    const gate = limits?.mayAuthenticate(request.ip);
    if (gate && !gate.allowed) {
      return tooMany(request, reply, `too many refused credentials from ${request.ip}: try again in ${gate.retryAfterSeconds} s`, gate);
    }
    let principal: Principal | null;
    try {
      principal = hasKey ? await deps.keys.verify(key) : tokens && token !== undefined ? await tokens.verify(token) : null;
    } catch (error) {
      if (error instanceof InvalidBearerTokenError) {
        if (error.forged) limits?.failedAuthentication(request.ip);
        return deny(request, reply, `the bearer token is not valid: ${error.message}`, bearerChallenge(error.message));
      }
      deps.logger.warn('credentials cannot be checked', { error: String(error), requestId: ids.requestId });
      return sendProblem(request, reply, error instanceof UnavailableError ? error : new UnavailableError('credentials cannot be checked right now', 5));
    }
    if (!principal) {
      limits?.failedAuthentication(request.ip);
      return deny(request, reply, 'the API key is not valid');
    }
    contextOf(request).principal = principal;
    const decision = limits?.request(principal);
    if (decision) {
      reply.headers(decision.headers);
      if (!decision.allowed) {
        return tooMany(request, reply, `${principal.kind === 'user' ? 'the user' : 'the API key'} ${principal.name} is over its rate limit (${decision.policy?.perSecond} requests a second, bursts of ${decision.policy?.burst}): try again in ${Math.max(1, decision.retryAfterSeconds)} s`, decision);
      }
    }
  });
};
