import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpException, HttpStatus, UnauthorizedException } from '@nestjs/common';
import { UnavailableError } from '@clientela/contracts';
import { CORRELATION_ID_HEADER, REQUEST_ID_HEADER, requestIdsOf, type StructuredLogger } from '@clientela/platform';
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

const deny = (request: FastifyRequest, reply: FastifyReply, detail: string) =>
  sendProblem(request, reply, new UnauthorizedException(detail), { 'www-authenticate': WWW_AUTHENTICATE });

const tooMany = (request: FastifyRequest, reply: FastifyReply, detail: string, decision: RateDecision) =>
  sendProblem(request, reply, new HttpException(detail, HttpStatus.TOO_MANY_REQUESTS), { ...decision.headers, 'retry-after': String(Math.max(1, decision.retryAfterSeconds)) });

/**
 * Root-level Fastify hooks, so they run for Nest's routes, the proxy routes and 404s alike:
 * every request gets its ids (echoed on the response), then /api/v1 requests need a valid key,
 * within the key's rate and from an address that has not been refused too often (`limits`).
 * Registered before the proxy plugin, which inherits them.
 */
export const registerGatewayHooks = (fastify: FastifyInstance, deps: { keys: KeyVerifier; logger: StructuredLogger; limits?: RateLimits }): void => {
  const { limits } = deps;
  fastify.addHook('onRequest', async (request, reply) => {
    const ids = requestIdsOf(request.headers);
    setContextOf(request, { ids });
    reply.header(REQUEST_ID_HEADER, ids.requestId).header(CORRELATION_ID_HEADER, ids.correlationId);
    if (!needsCredentials(request.url, request.routeOptions.url)) return;
    const key = request.headers[API_KEY_HEADER];
    if (typeof key !== 'string' || key === '') return deny(request, reply, 'an X-Api-Key header is required');
    const gate = limits?.mayAuthenticate(request.ip);
    if (gate && !gate.allowed) {
      return tooMany(request, reply, `too many refused API keys from ${request.ip}: try again in ${gate.retryAfterSeconds} s`, gate);
    }
    let principal: Principal | null;
    try {
      principal = await deps.keys.verify(key);
    } catch (error) {
      deps.logger.warn('API keys cannot be checked', { error: String(error), requestId: ids.requestId });
      return sendProblem(request, reply, new UnavailableError('credentials cannot be checked right now', 5));
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
        return tooMany(request, reply, `the API key ${principal.name} is over its rate limit (${decision.policy?.perSecond} requests a second, bursts of ${decision.policy?.burst}): try again in ${Math.max(1, decision.retryAfterSeconds)} s`, decision);
      }
    }
  });
};
