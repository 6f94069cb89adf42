/**
 * The one error hierarchy of Clientela. Every error a library throws on purpose is a
 * ClientelaError with a stable `code`; `status` is the HTTP status the platform's
 * problem+json filter answers with, so that mapping lives here and nowhere else.
 */
export abstract class ClientelaError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  /** Machine-readable details for problem+json; subclasses add their own. */
  details(): Record<string, unknown> {
    return {};
  }
}

export interface FieldViolation {
  /** Dotted path of the offending field, e.g. `lines.0.amount`. */
  path: string;
  /** One message per broken rule, keyed by the rule name. */
  constraints: Record<string, string>;
}

/** Input that breaks the rules of its type: 400. */
export class ValidationError extends ClientelaError {
  readonly code: string = 'validation_failed';
  readonly status = 400;
  constructor(
    message: string,
    readonly violations: FieldViolation[] = [],
  ) {
    super(message);
  }
  override details(): Record<string, unknown> {
    return { violations: this.violations };
  }
}

/** The thing asked for does not exist: 404. */
export class NotFoundError extends ClientelaError {
  readonly code: string = 'not_found';
  readonly status = 404;
}

/** The request lost a race or repeats something incompatible: 409. */
export class ConflictError extends ClientelaError {
  readonly code: string = 'conflict';
  readonly status = 409;
}

/** The client's precondition (`If-Match: <revision>`) no longer holds: the stream has moved: 412. */
export class PreconditionFailedError extends ClientelaError {
  readonly code: string = 'precondition_failed';
  readonly status = 412;
  constructor(
    message: string,
    readonly expectedRevision: number,
    readonly actualRevision: number,
  ) {
    super(message);
  }
  override details(): Record<string, unknown> {
    return { expectedRevision: this.expectedRevision, actualRevision: this.actualRevision };
  }
}

/** A domain rule refused the command: 422. */
export class DomainRuleError extends ClientelaError {
  readonly code: string = 'domain_rule';
  readonly status = 422;
  constructor(
    message: string,
    readonly rule: string,
  ) {
    super(message);
  }
  override details(): Record<string, unknown> {
    return { rule: this.rule };
  }
}

/** A dependency (database, broker) is not available right now: 503. */
export class UnavailableError extends ClientelaError {
  readonly code: string = 'unavailable';
  readonly status = 503;
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const isClientelaError = (error: unknown): error is ClientelaError => error instanceof ClientelaError;
