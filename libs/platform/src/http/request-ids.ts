import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
export const CORRELATION_ID_HEADER = 'x-correlation-id';

/** The ids one request carries through every hop, into logs and event metadata. */
export interface RequestIds {
  requestId: string;
  correlationId: string;
}

const SANE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A client's id is kept only when it is a short plain token: it ends up in logs, headers and events. */
export const isSaneId = (value: unknown): value is string => typeof value === 'string' && SANE_ID.test(value);

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/**
 * The request id is the client's when sane, else a new UUID; the correlation id is the client's
 * when sane, else the request id (a request that starts a flow correlates to itself).
 */
export const requestIdsOf = (
  headers: Record<string, string | string[] | undefined>,
  generate: () => string = randomUUID,
): RequestIds => {
  const sentRequestId = first(headers[REQUEST_ID_HEADER]);
  const sentCorrelationId = first(headers[CORRELATION_ID_HEADER]);
  const requestId = isSaneId(sentRequestId) ? sentRequestId : generate();
  return { requestId, correlationId: isSaneId(sentCorrelationId) ? sentCorrelationId : requestId };
};
