import { ClientelaError, ConflictError } from '@clientela/contracts';

/** A sealed field could not be opened: tampered ciphertext, or a key that is not the one it was sealed with. */
export class PersonalDataUnreadableError extends ClientelaError {
  readonly code = 'personal_data_unreadable';
  readonly status = 500;
  constructor(
    readonly eventId: string,
    readonly eventType: string,
    readonly subject: string,
    reason: string,
  ) {
    super(`the personal data of event ${eventId} (${eventType}) cannot be read: ${reason}`);
  }
  override details(): Record<string, unknown> {
    return { eventId: this.eventId, eventType: this.eventType };
  }
}

/** Sealed data names a person whose key was never stored here (another database, or a lost key table). */
export class DataKeyMissingError extends ClientelaError {
  readonly code = 'data_key_missing';
  readonly status = 500;
  constructor(readonly subject: string) {
    super(`no data key is stored for subject ${subject}: the key table does not belong to these events`);
  }
}

/** New personal data for a person who was erased: refused, so an erased profile is never rebuilt. */
export class SubjectErasedError extends ConflictError {
  override readonly code = 'subject_erased';
  constructor(
    readonly subject: string,
    /** The StreamAppend (of an `appendToStreams` call) whose event named the subject. */
    readonly appendIndex?: number,
  ) {
    super(`subject ${subject} was erased: no personal data about them is stored again`);
  }
  override details(): Record<string, unknown> {
    return this.appendIndex === undefined ? {} : { appendIndex: this.appendIndex };
  }
}

/** The master key configuration is missing or malformed. */
export class MasterKeyError extends ClientelaError {
  readonly code = 'master_key_invalid';
  readonly status = 500;
  constructor(
    message: string,
    /** The person whose data key the master key did not open, when it is about one. */
    readonly subject?: string,
  ) {
    super(message);
  }
}
