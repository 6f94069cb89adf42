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

/**
 * Whether an error means the database went away (so retry), rather than that the work is wrong:
 * the one test (@clientela/postgres), which also counts MessagingUnavailableError (an UnavailableError).
 */
export { isConnectionError } from '@clientela/postgres';
