import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { formatPosition, nameBasedUuid, ValidationError, type Position } from '@clientela/contracts';
import { commandMetadataOf, type CommandMetadata } from '../http/request-context';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IF_MATCH_HEADER = 'if-match';
export const POSITION_HEADER = 'x-position';

/** What a write request says besides its body: who and why (metadata), and its preconditions. */
export interface WriteRequest {
  metadata: CommandMetadata;
  /** A retried request with the same key appends nothing and gets the first answer. */
  idempotencyKey?: string;
  /** From `If-Match`: refuse with 412 unless the stream is still at this revision. */
  expectedRevision?: number;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const REVISION_TAG = /^(?:W\/)?"?(-?\d{1,15})"?$/;

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export const parseIdempotencyKey = (value: string | string[] | undefined): string | undefined => {
  const key = single(value);
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1 to 200 printable ASCII characters', [
      { path: 'header.Idempotency-Key', constraints: { format: 'must be 1 to 200 printable ASCII characters' } },
    ]);
  }
  return key;
};

/** `If-Match: "3"` (the ETag a write or a read answered with), `W/"3"` or `3`. */
export const parseIfMatch = (value: string | string[] | undefined): number | undefined => {
  const tag = single(value)?.trim();
  if (tag === undefined || tag === '*') return undefined;
  const match = REVISION_TAG.exec(tag);
  const revision = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new ValidationError('If-Match must be the ETag of the resource: a revision such as "3"', [
      { path: 'header.If-Match', constraints: { format: 'must be a revision such as "3"' } },
    ]);
  }
  return revision;
};

export const revisionTag = (revision: number): string => `"${revision}"`;

type HeaderRequest = { headers: Record<string, string | string[] | undefined>; id?: string; clientelaService?: string };

export const writeRequestOf = (request: HeaderRequest): WriteRequest => {
  const idempotencyKey = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
  const expectedRevision = parseIfMatch(request.headers[IF_MATCH_HEADER]);
  return {
    metadata: commandMetadataOf(request),
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    ...(expectedRevision !== undefined ? { expectedRevision } : {}),
  };
};

/** `@Write() write: WriteRequest`: metadata, Idempotency-Key and If-Match of a write, checked. */
export const Write = createParamDecorator((_: unknown, context: ExecutionContext): WriteRequest =>
  writeRequestOf(context.switchToHttp().getRequest<HeaderRequest>()),
);

const CREATE_NAMESPACE = 'a4f0f0b2-2d0e-4f5e-8d0c-7b1de3c0a9e4';

/**
 * The id of a created thing: derived from the idempotency key (and who sent it) when there is one,
 * so a retried create lands on the same stream and gets the first answer; new otherwise.
 */
export const idForCreate = (write: WriteRequest, kind: string, newId: () => string): string =>
  write.idempotencyKey === undefined ? newId() : nameBasedUuid(`${kind}|${write.metadata.actor ?? ''}|${write.idempotencyKey}`, CREATE_NAMESPACE);

/** What a write answers: the new revision as ETag, the position for X-Min-Position. */
export interface WriteResult {
  id: string;
  revision: number;
  position: Position;
  /** True when an idempotency key matched an earlier request: nothing was appended. */
  replayed: boolean;
}

export interface WriteResponseBody {
  id: string;
  revision: number;
  position: string;
}

type HeaderReply = { header(name: string, value: string): unknown };

/** Sets ETag, X-Position (and Idempotency-Replayed) and returns the body every write answers with. */
export const answerWrite = (reply: HeaderReply, result: WriteResult): WriteResponseBody => {
  reply.header('etag', revisionTag(result.revision));
  reply.header(POSITION_HEADER, formatPosition(result.position));
  if (result.replayed) reply.header('idempotency-replayed', 'true');
  return { id: result.id, revision: result.revision, position: formatPosition(result.position) };
};
