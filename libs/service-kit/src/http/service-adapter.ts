import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyBaseLogger, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { CORRELATION_ID_HEADER, replyClientError, replyFrameworkError, REQUEST_ID_HEADER, requestIdsOf, urlForLog } from '@clientela/platform';

type Headers = Record<string, string | string[] | undefined>;
type ChildBindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];

/** The client's correlation id when sane, else the request's own id (as requestIdsOf decides). */
const correlationIdOf = (headers: Headers, requestId: string): string =>
  requestIdsOf({ [REQUEST_ID_HEADER]: requestId, [CORRELATION_ID_HEADER]: headers[CORRELATION_ID_HEADER] }).correlationId;

/** Bodies larger than this are refused with 413 before anything reads them. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * Fastify as every service runs it: request ids from `X-Request-Id` (or new), echoed with the
 * correlation id; pino request logs carrying both. Errors Fastify raises before a handler runs (malformed
 * JSON, a body over the limit) reach Nest's own Fastify error handler, and through it the problem filter.
 */
export const createServiceAdapter = (options: { service: string; logger: PinoLogger; bodyLimit?: number }): FastifyAdapter => {
  const adapter = new FastifyAdapter({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    genReqId: (request: { headers: Headers }) => requestIdsOf(request.headers).requestId,
    // The request's one child logger carries both ids (a second child per request for the correlation id cost as much again).
    childLoggerFactory: (logger: FastifyBaseLogger, bindings: ChildBindings, childOptions: ChildOptions, raw: IncomingMessage) =>
      logger.child({ ...bindings, correlationId: correlationIdOf(raw.headers, String(bindings.reqId)) }, childOptions),
    // Our own onResponse line replaces Fastify's two per request.
    logController: new LogController({ disableRequestLogging: true }),
    // Bodies with `__proto__` or `constructor.prototype` keys are refused outright (prototype pollution).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // What the router refuses before a route (a path that is not valid percent-encoding) is problem+json too.
    frameworkErrors: replyFrameworkError,
    // And what Node's HTTP parser refuses before that (headers over 16 KiB).
    clientErrorHandler: replyClientError,
  });
  const fastify = adapter.getInstance();
  fastify.decorateRequest('clientelaService', '');
  // Hooks with a callback, not async ones: no promise and microtask turn per request.
  fastify.addHook('onRequest', (request: FastifyRequest & { clientelaService?: string }, reply, done) => {
    request.clientelaService = options.service;
    void reply.header(REQUEST_ID_HEADER, request.id).header(CORRELATION_ID_HEADER, correlationIdOf(request.headers, request.id));
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // Below `info` only failures are logged: no line to build for the others (its URL cost 2 % of a busy service).
    if (reply.statusCode >= 500 || options.logger.isLevelEnabled('info')) {
      const fields = { method: request.method, url: urlForLog(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
      if (reply.statusCode >= 500) request.log.error(fields, 'request failed');
      else request.log.info(fields, 'request');
    }
    done();
  });
  return adapter;
};
