import { randomUUID } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { EventMetadata } from '@clientela/contracts';

export const REQUEST_ID_HEADER = 'x-request-id';
export const CORRELATION_ID_HEADER = 'x-correlation-id';
/** Set by the gateway from the credential it verified; a service behind it trusts it. */
export const ACTOR_HEADER = 'x-clientela-actor';

const SANE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A client's id when it is a short token, else a new one: ids end up in logs and event metadata. */
export const saneId = (value: unknown): string | undefined => {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && SANE_ID.test(first) ? first : undefined;
};

export const requestIdOf = (headers: Record<string, unknown>): string => saneId(headers[REQUEST_ID_HEADER]) ?? randomUUID();

interface RequestLike {
  id?: string;
  headers: Record<string, string | string[] | undefined>;
  /** Set by the kit on every request (see createServiceAdapter). */
  clientelaService?: string;
}

/** What a write copies into the metadata of every event it appends. */
export type CommandMetadata = Pick<EventMetadata, 'correlationId' | 'causationId' | 'actor' | 'source'>;

export const commandMetadataOf = (request: RequestLike, service = request.clientelaService ?? 'clientela'): CommandMetadata => {
  const requestId = request.id ?? requestIdOf(request.headers);
  return {
    correlationId: saneId(request.headers[CORRELATION_ID_HEADER]) ?? requestId,
    causationId: requestId,
    actor: saneId(request.headers[ACTOR_HEADER]) ?? 'anonymous',
    source: service,
  };
};

/** `@RequestMetadata() metadata: CommandMetadata` in a controller: ids and actor for the events a command appends. */
export const RequestMetadata = createParamDecorator((_: unknown, context: ExecutionContext): CommandMetadata =>
  commandMetadataOf(context.switchToHttp().getRequest<RequestLike>()),
);
