import { HttpException } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { ValidationError } from '@clientela/contracts';
import { CORRELATION_ID_HEADER, PROBLEM_CONTENT_TYPE, REQUEST_ID_HEADER, requestIdsOf, toProblem } from '@clientela/platform';

/** Bodies larger than this are refused with 413 before anything reads them. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * Fastify as every service runs it: request ids from `X-Request-Id` (or new), echoed with the
 * correlation id; pino request logs carrying both; and errors Fastify raises before Nest sees the
 * request (malformed JSON, a body over the limit, an unsupported media type) as problem+json.
 */
export const createServiceAdapter = (options: { service: string; logger: PinoLogger; bodyLimit?: number }): FastifyAdapter => {
  const adapter = new FastifyAdapter({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => requestIdsOf(request.headers).requestId,
    // Our own onResponse line replaces Fastify's two per request.
    logController: new LogController({ disableRequestLogging: true }),
    // Deeply nested JSON is refused while parsing, before it can cost anything.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  const fastify = adapter.getInstance();
  fastify.decorateRequest('clientelaService', '');
  fastify.addHook('onRequest', async (request: FastifyRequest & { clientelaService?: string }, reply) => {
    request.clientelaService = options.service;
    const { correlationId } = requestIdsOf({ ...request.headers, [REQUEST_ID_HEADER]: request.id });
    request.log = request.log.child({ correlationId });
    void reply.header(REQUEST_ID_HEADER, request.id).header(CORRELATION_ID_HEADER, correlationId);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const fields = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) request.log.error(fields, 'request failed');
    else request.log.info(fields, 'request');
  });
  fastify.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const status = error.statusCode ?? 500;
    const mapped =
      status === 400 && error.code?.startsWith('FST_ERR_CTP')
        ? new ValidationError(`the body is not valid JSON: ${error.message}`, [{ path: '', constraints: { json: error.message } }])
        : status < 500
          ? new HttpException(error.message, status)
          : error;
    const { problem, headers } = toProblem(mapped, request.url);
    if (problem.status >= 500) request.log.error({ err: error }, 'unexpected error');
    void reply
      .status(problem.status)
      .headers(headers)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem));
  });
  return adapter;
};
