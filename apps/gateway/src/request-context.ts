import type { FastifyRequest } from 'fastify';
import { requestIdsOf, type RequestIds } from '@clientela/platform';

/** Who an accepted credential belongs to: an API key (a service), or a person's bearer token. */
export interface Principal {
  kind: 'api-key' | 'user';
  /** The key's id, or the token's `sub`. */
  id: string;
  name: string;
  role: 'admin' | 'service';
  /** Its own rate limit (requests a second), else null for the gateway's default. */
  rateLimitPerSecond: number | null;
}

/** What the gateway learnt about one request before routing it. */
export interface RequestContext {
  ids: RequestIds;
  principal?: Principal;
}

// Keyed by Fastify's request object, which Nest's @Req() hands to controllers too.
const contexts = new WeakMap<object, RequestContext>();

export const setContextOf = (request: FastifyRequest, context: RequestContext): void => {
  contexts.set(request, context);
};

/** The request's context; one is made on the spot for a request no hook saw (it has ids all the same). */
export const contextOf = (request: FastifyRequest): RequestContext => {
  let context = contexts.get(request);
  if (!context) {
    context = { ids: requestIdsOf(request.headers) };
    contexts.set(request, context);
  }
  return context;
};

/** Event metadata's `actor` for a principal. */
export const actorOf = (principal: Principal): string => `${principal.kind}:${principal.id}`;
