import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpException } from '@nestjs/common';
import { NotFoundError, UnavailableError } from '@clientela/contracts';
import { PROBLEM_CONTENT_TYPE, toProblem, type StructuredLogger } from '@clientela/platform';
import { DEFAULT_BODY_LIMIT } from '@clientela/service-kit';
import { actorOf, contextOf } from '../request-context';
import { clientResponseHeaders, hasBody, upstreamRequestHeaders } from './forwarded-headers';
import { areaOf, API_PREFIX, serviceFor } from './routes';
import type { UpstreamPools } from './upstream-pools';

export interface ProxyDependencies {
  pools: UpstreamPools;
  routes: Readonly<Record<string, string>>;
  logger: StructuredLogger;
  /** Seconds a client is told to wait when a service is down. */
  retryAfterSeconds?: number;
  /** GATEWAY_SECRET: sent with every forwarded request, so that the services know it came through here. */
  gatewaySecret?: string;
}

export const sendProblem = (request: FastifyRequest, reply: FastifyReply, error: unknown, extraHeaders: Record<string, string> = {}) => {
  const { problem, headers } = toProblem(error, request.url);
  return reply
    .code(problem.status)
    .headers({ ...headers, ...extraHeaders, 'content-type': PROBLEM_CONTENT_TYPE })
    .send(JSON.stringify(problem));
};

const reasonOf = (error: unknown): string => {
  const code = (error as { code?: unknown })?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect timeout';
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'no response in time';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    default:
      return typeof code === 'string' ? code : 'unreachable';
  }
};

/**
 * The client's body as undici reads it. Not the request stream itself: undici destroys a body
 * it could not send, and destroying an unread request resets the client's socket before it
 * could read our 503.
 */
const relay = (source: Readable): Readable => Readable.from(source.iterator({ destroyOnReturn: false }), { objectMode: false });

/** Thrown into undici by a relayed JSON body that grows past the services' limit. */
class BodyTooLargeError extends Error {}

/**
 * A JSON body sent without Content-Length (chunked), relayed only up to the services' limit: the
 * byte that would cross it is not forwarded, the upstream call fails with BodyTooLargeError, and
 * the client gets the 413 a service would give, not the 503 of the connection the service closes.
 */
const limitedRelay = (source: Readable, limit: number): Readable =>
  Readable.from(
    (async function* () {
      let received = 0;
      for await (const chunk of source.iterator({ destroyOnReturn: false })) {
        received += (chunk as Buffer).length;
        if (received > limit) throw new BodyTooLargeError('Request body is too large');
        yield chunk as Buffer;
      }
    })(),
    { objectMode: false },
  );

/**
 * A JSON body longer than the services take (DEFAULT_BODY_LIMIT, Fastify's bodyLimit there): refused
 * here with their 413. Forwarded, the service answers 413 and closes while the body still comes,
 * which undici reports as EPIPE: a 503 that invites the client to send it again.
 */
const isJson = (headers: Record<string, string | string[] | undefined>): boolean => {
  const type = headers['content-type'];
  return typeof type === 'string' && JSON_TYPE.test(type);
};
const isOversizedJson = (headers: Record<string, string | string[] | undefined>): boolean => {
  const length = headers['content-length'];
  return isJson(headers) && typeof length === 'string' && Number(length) > DEFAULT_BODY_LIMIT;
};
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/** What undici sends upstream: nothing, the client's body, or a chunked JSON body held to the services' limit. */
const bodyOf = (request: FastifyRequest): Readable | null => {
  if (!hasBody(request.headers)) return null;
  const chunkedJson = request.headers['content-length'] === undefined && isJson(request.headers);
  return chunkedJson ? limitedRelay(request.raw, DEFAULT_BODY_LIMIT) : relay(request.raw);
};

/** Answers up to this size (by their Content-Length) are read whole and sent as one buffer. */
export const BUFFERED_ANSWER_MAX_BYTES = 64 * 1024;

/** Whether an answer is small enough to read whole: piping a stream costs more than the few bytes of most answers. */
const isSmallAnswer = (headers: Record<string, string | string[] | undefined>): boolean => {
  const length = headers['content-length'];
  return typeof length === 'string' && Number(length) <= BUFFERED_ANSWER_MAX_BYTES;
};

/**
 * Forwards one request to the service owning its area and sends the answer back. Request bodies
 * are never held: the client's request stream is undici's request body, with backpressure; an
 * answer is streamed too unless its Content-Length says it is small. A client that goes away
 * aborts the upstream call.
 */
export const forward = async (request: FastifyRequest, reply: FastifyReply, deps: ProxyDependencies): Promise<FastifyReply> => {
  const service = serviceFor(request.url, deps.routes);
  const pool = service === null ? undefined : deps.pools.pool(service);
  if (service === null || pool === undefined) {
    return sendProblem(request, reply, new NotFoundError(`no service serves ${API_PREFIX}${areaOf(request.url) ?? ''}`));
  }
  if (isOversizedJson(request.headers)) {
    // The rest of the body is not read: close after answering.
    reply.header('connection', 'close');
    return sendProblem(request, reply, new HttpException('Request body is too large', 413));
  }
  const context = contextOf(request);
  // An emitter, not an AbortController: undici takes either, and the emitter costs less per request.
  const abort = new EventEmitter();
  let clientGone = false;
  const onClientGone = () => {
    if (reply.raw.writableFinished) return;
    clientGone = true;
    abort.emit('abort');
  };
  reply.raw.once('close', onClientGone);
  try {
    const upstream = await pool.request({
      method: request.method as 'GET',
      path: request.url,
      headers: upstreamRequestHeaders(request.headers, {
        ids: context.ids,
        actor: context.principal ? actorOf(context.principal) : 'anonymous',
        ...(context.principal ? { actorName: context.principal.name, role: context.principal.role } : {}),
        // The peer, not request.ip: with TRUST_PROXY that is the client the chain already names.
        remoteAddress: request.raw.socket?.remoteAddress ?? request.ip,
        host: request.headers.host,
        protocol: request.protocol,
        ...(deps.gatewaySecret ? { gatewaySecret: deps.gatewaySecret } : {}),
      }),
      body: bodyOf(request),
      signal: abort,
    });
    const empty = request.method === 'HEAD' || upstream.statusCode === 204 || upstream.statusCode === 304;
    // Read before any header is set: a body that fails midway then gets a clean 503.
    const whole = !empty && isSmallAnswer(upstream.headers) ? Buffer.from(await upstream.body.arrayBuffer()) : undefined;
    reply.code(upstream.statusCode).headers(clientResponseHeaders(upstream.headers));
    reply.header('x-request-id', context.ids.requestId).header('x-correlation-id', context.ids.correlationId);
    if (empty) {
      upstream.body.resume(); // nothing to send, but the connection goes back to the pool only once read
      return reply.send();
    }
    return reply.send(whole ?? upstream.body);
  } catch (error) {
    if (error instanceof BodyTooLargeError || (error as { cause?: unknown })?.cause instanceof BodyTooLargeError) {
      reply.header('connection', 'close'); // the rest of the upload is not read
      return sendProblem(request, reply, new HttpException('Request body is too large', 413));
    }
    if (clientGone) {
      // The client went away (mid-upload or before the answer): nobody to answer, nothing to log as down.
      return reply;
    }
    const reason = reasonOf(error);
    // The client may still be sending a body nobody will read: close after answering, or the
    // connection (and a graceful shutdown waiting on it) would hang on the rest of the upload.
    if (!request.raw.complete) reply.header('connection', 'close');
    deps.logger.warn('service unavailable', { upstream: service, reason, requestId: context.ids.requestId, error: String(error) });
    return sendProblem(request, reply, new UnavailableError(`the ${service} service is not available (${reason})`, deps.retryAfterSeconds ?? 5));
  }
};

/**
 * Registers `/api/v1/*` on Fastify itself, not as a Nest controller: Nest's body parsers would
 * read the whole body before a handler runs. In this encapsulated plugin the only content-type
 * parser hands the raw request stream over untouched (so Fastify's bodyLimit does not apply
 * either: a body's size is the service's business). Nest's own routes under /api/v1 (the admin
 * API) are static and win over this wildcard.
 */
export const registerProxyRoutes = (fastify: FastifyInstance, deps: ProxyDependencies): void => {
  void fastify.register(async (proxy) => {
    proxy.removeAllContentTypeParsers();
    proxy.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // Anything failing here after the route matched is the upstream hop's, never a 500.
    proxy.setErrorHandler((error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        return sendProblem(request, reply, new HttpException(error instanceof Error ? error.message : String(error), status));
      }
      deps.logger.warn('proxy failed', { error: String(error), requestId: contextOf(request).ids.requestId });
      return sendProblem(request, reply, new UnavailableError('the service is not available', deps.retryAfterSeconds ?? 5));
    });
    proxy.all(`${API_PREFIX}*`, (request, reply) => forward(request, reply, deps));
    proxy.all(API_PREFIX.slice(0, -1), (request, reply) => forward(request, reply, deps));
  });
};
