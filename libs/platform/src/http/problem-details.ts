import { ArgumentsHost, Catch, HttpException, HttpStatus, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { isClientelaError, UnavailableError } from '@clientela/contracts';
import { createLogger, errorMessage, type LogSink } from '../logging/logger';
import { urlForLog } from '../logging/url-for-log';

/** An RFC 9457 problem document. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://clientela.dev/problems/';

/** The response an error becomes: the one mapping from errors to HTTP for every service. */
export const toProblem = (error: unknown, instance?: string): { problem: ProblemDetails; headers: Record<string, string> } => {
  const headers: Record<string, string> = {};
  if (isClientelaError(error)) {
    if (error instanceof UnavailableError && error.retryAfterSeconds !== undefined) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
    }
    return {
      problem: {
        type: `${TYPE_BASE}${error.code}`,
        title: titleOf(error.status),
        status: error.status,
        detail: error.message,
        code: error.code,
        ...(instance ? { instance } : {}),
        ...error.details(),
      },
      headers,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const body: Record<string, unknown> = typeof response === 'string' ? { message: response } : { ...(response as Record<string, unknown>) };
    const message = body.message;
    const violations = Array.isArray(message) ? message.map(String) : undefined;
    // Other fields of the exception's body travel as extensions (e.g. a health check's `info`,
    // `error` and `details`), never over the problem's own members.
    const extensions = Object.fromEntries(
      Object.entries(body).filter(([key, value]) => !['message', 'statusCode', 'status', 'type', 'title', 'detail', 'instance'].includes(key) && !(key === 'error' && typeof value === 'string')),
    );
    const failing = body.error && typeof body.error === 'object' ? Object.keys(body.error as object) : [];
    if (status === 503 && body.status === 'error') headers['retry-after'] = '5';
    return {
      problem: {
        type: `${TYPE_BASE}http-${status}`,
        title: titleOf(status),
        status,
        detail: violations
          ? 'the request is not valid'
          : failing.length > 0 && message === undefined
            ? `not ready: ${failing.join(', ')}`
            : String(message ?? error.message),
        ...(violations ? { violations } : {}),
        ...extensions,
        ...(instance ? { instance } : {}),
      },
      headers,
    };
  }
  return {
    problem: { type: `${TYPE_BASE}internal`, title: titleOf(500), status: 500, detail: 'an unexpected error occurred', ...(instance ? { instance } : {}) },
    headers,
  };
};

/** The problem of an HTTP status with no error code of ours: what Fastify or Node refused. */
const httpProblem = (status: number, detail: string): ProblemDetails => ({ type: `${TYPE_BASE}http-${status}`, title: titleOf(status), status, detail });

/** What Fastify's `frameworkErrors` hands over: an error of its router, raised before any route runs. */
interface FrameworkError {
  message: string;
  code?: string;
  statusCode?: number;
}

/**
 * Fastify's `frameworkErrors` option: what its router refuses before a route runs (a path that is
 * not valid percent-encoding, `/contacts/%ff`; a parameter over the length limit) is problem+json
 * like every other refusal, instead of Fastify's own JSON. Written to the raw response: no route,
 * hook or serialiser exists for such a request.
 */
export const replyFrameworkError = (error: FrameworkError, _request: unknown, reply: { raw: ServerResponse }): void => {
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 400;
  const body = JSON.stringify({ ...httpProblem(status, error.message), ...(error.code ? { code: error.code } : {}) });
  reply.raw.writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
  reply.raw.end(body);
};

/** What Node's HTTP parser raises before Fastify has a request (see `replyClientError`). */
interface ClientError {
  code?: string;
}

/** The part of a socket a raw answer needs. */
interface RawSocket {
  destroyed: boolean;
  writable: boolean;
  write(data: string): unknown;
  destroy(error?: Error): unknown;
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before there is a request (headers
 * over 16 KiB: 431; a request that is not HTTP: 400; too slow: 408) is problem+json too, written to
 * the socket as Fastify's default handler does, then the socket is closed.
 */
export const replyClientError = (error: ClientError & Error, socket: RawSocket): void => {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'the request headers are larger than the server takes'] : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request took too long to arrive'] : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify(httpProblem(status, detail));
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${titleOf(status)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nConnection: close\r\n\r\n${body}`);
  socket.destroy(error);
};

const titleOf = (status: number): string => {
  const name = (HttpStatus as unknown as Record<number, string | undefined>)[status];
  return name ? name.toLowerCase().split('_').map((w, i) => (i === 0 ? w[0].toUpperCase() + w.slice(1) : w)).join(' ') : 'Error';
};

/** Turns every error into application/problem+json, on Fastify or Express alike. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  /** `logger`: where an unexpected error (a 500) is logged with its stack; the service's own logger. */
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly logger: LogSink = createLogger({ name: 'http' }),
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const http = host.switchToHttp();
    const request = http.getRequest<{ url?: string }>();
    const response = http.getResponse<unknown>();
    const { problem, headers } = toProblem(error, request?.url);
    // Only the unexpected: a 503 says what is down by itself.
    if (problem.status === 500) this.logger.error('unexpected error', { url: request?.url === undefined ? undefined : urlForLog(request.url), error: errorMessage(error), stack: error instanceof Error ? error.stack : undefined });
    for (const [name, value] of Object.entries(headers)) httpAdapter.setHeader(response, name, value);
    httpAdapter.setHeader(response, 'content-type', PROBLEM_CONTENT_TYPE);
    httpAdapter.reply(response, JSON.stringify(problem), problem.status);
  }
}
