import type { IncomingHttpHeaders } from 'node:http';
import { CORRELATION_ID_HEADER, REQUEST_ID_HEADER, type RequestIds } from '@clientela/platform';
// The headers the services read are the kit's: one name for both ends.
import { ACTOR_HEADER, GATEWAY_SECRET_HEADER, ROLE_HEADER } from '@clientela/service-kit';

/** Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, never the message: not forwarded either way. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export const API_KEY_HEADER = 'x-api-key';
/** The key's name, for logs and people. */
export const ACTOR_NAME_HEADER = 'x-clientela-actor-name';
/** Headers the platform sets for the services; a client never sets them itself. */
const PLATFORM_HEADER_PREFIX = 'x-clientela-';

type Headers = Record<string, string | string[] | undefined>;

/** Hop-by-hop headers plus those the Connection header names. */
const connectionScoped = (headers: Headers): ReadonlySet<string> => {
  const named = [headers.connection ?? []].flat().flatMap((value) => value.split(',').map((name) => name.trim().toLowerCase()));
  // Per request on the proxy's path: most Connection headers name nothing more (`keep-alive`), so no new set.
  if (named.every((name) => name === '' || HOP_BY_HOP.has(name))) return HOP_BY_HOP;
  return new Set([...HOP_BY_HOP, ...named.filter((name) => name !== '')]);
};

export interface ForwardContext {
  ids: RequestIds;
  /** Who the platform says is calling, e.g. `api-key:<id>`, and its display name. */
  actor: string;
  actorName?: string;
  /** The verified key's role; absent for an anonymous request. */
  role?: string;
  /** The client's address, appended to X-Forwarded-For. */
  remoteAddress?: string;
  /** What the client asked for: the gateway's host and protocol. */
  host?: string;
  protocol: 'http' | 'https';
  /** GATEWAY_SECRET, for the services to know the request came through the gateway. */
  gatewaySecret?: string;
}

/**
 * The headers a service receives: the client's, minus hop-by-hop ones, the credential (an API key
 * or a bearer token: the service trusts the gateway, it needs no secret) and any `X-Clientela-*` a client tried to set; plus the
 * ids, the actor and the X-Forwarded-* trio. `Host` is the service's own (undici sets it);
 * `Expect` is answered by the gateway's server, never forwarded.
 */
export const upstreamRequestHeaders = (incoming: IncomingHttpHeaders, context: ForwardContext): Record<string, string | string[]> => {
  const dropped = connectionScoped(incoming);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || dropped.has(name)) continue;
    if (name === 'host' || name === 'expect' || name === API_KEY_HEADER || name === 'authorization' || name.startsWith(PLATFORM_HEADER_PREFIX)) continue;
    if (name === REQUEST_ID_HEADER || name === CORRELATION_ID_HEADER || name.startsWith('x-forwarded-')) continue;
    headers[name] = value;
  }
  headers[REQUEST_ID_HEADER] = context.ids.requestId;
  headers[CORRELATION_ID_HEADER] = context.ids.correlationId;
  headers[ACTOR_HEADER] = context.actor;
  if (context.actorName) headers[ACTOR_NAME_HEADER] = context.actorName;
  if (context.role) headers[ROLE_HEADER] = context.role;
  if (context.gatewaySecret) headers[GATEWAY_SECRET_HEADER] = context.gatewaySecret;
  const forwardedFor = [incoming['x-forwarded-for'], context.remoteAddress].flat().filter((value): value is string => !!value);
  if (forwardedFor.length > 0) headers['x-forwarded-for'] = forwardedFor.join(', ');
  headers['x-forwarded-proto'] = context.protocol;
  if (context.host) headers['x-forwarded-host'] = context.host;
  return headers;
};

/** The headers the client receives from a service: all but the hop-by-hop ones. */
export const clientResponseHeaders = (upstream: Headers): Record<string, string | string[]> => {
  const dropped = connectionScoped(upstream);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value !== undefined && !dropped.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  return headers;
};

/** Whether a request carries a body to forward (RFC 9112 §6.3: a length or a transfer coding says so). */
export const hasBody = (headers: IncomingHttpHeaders): boolean =>
  headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
