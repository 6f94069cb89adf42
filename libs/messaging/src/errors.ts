import { UnavailableError, ValidationError } from '@clientela/contracts';

/** A message that can never be handled as it is (unreadable, invalid, unknown version): dead-lettered at once. */
export class PoisonMessageError extends ValidationError {
  override readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** PostgreSQL or Kafka cannot be reached: the work is retried, never dead-lettered. */
export class MessagingUnavailableError extends UnavailableError {
  override readonly code = 'messaging_unavailable';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300']);

/** Whether an error means the database went away (so retry), rather than that the work is wrong. */
export const isConnectionError = (error: unknown): boolean => {
  if (error instanceof MessagingUnavailableError || error instanceof UnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  const message = (error as { message?: unknown }).message;
  return (
    typeof message === 'string' &&
    /Connection terminated|connection error|Client was closed|timeout exceeded when trying to connect|Connection refused|not queryable/i.test(message)
  );
};
