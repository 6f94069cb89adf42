import type { EventMetadata } from '@clientela/contracts';
import { CORRELATION_ID_HEADER, isSaneId, requestIdsOf } from '@clientela/platform';

/** Set by the gateway from the credential it verified (`api-key:<id>`, or `user:<sub>` for a person's token); a service behind it trusts it. */
export const ACTOR_HEADER = 'x-clientela-actor';

interface RequestLike {
  id?: string;
  headers: Record<string, string | string[] | undefined>;
  /** Set by the kit on every request (see createServiceAdapter). */
  clientelaService?: string;
}

/** What a write copies into the metadata of every event it appends. */
export type CommandMetadata = Pick<EventMetadata, 'correlationId' | 'causationId' | 'actor' | 'source'>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export const commandMetadataOf = (request: RequestLike, service = request.clientelaService ?? 'clientela'): CommandMetadata => {
  const requestId = request.id ?? requestIdsOf(request.headers).requestId;
  const correlationId = first(request.headers[CORRELATION_ID_HEADER]);
  const actor = first(request.headers[ACTOR_HEADER]);
  return {
    correlationId: isSaneId(correlationId) ? correlationId : requestId,
    causationId: requestId,
    actor: typeof actor === 'string' && /^[\x21-\x7e]{1,200}$/.test(actor) ? actor : 'anonymous',
    source: service,
  };
};

