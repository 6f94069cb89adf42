import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

/**
 * The logger every library takes (messaging, projections): a message and structured fields.
 * The platform's is pino, one JSON line per entry; tests can pass a silent one.
 */
export interface StructuredLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): StructuredLogger;
}

const wrap = (logger: PinoLogger): StructuredLogger => ({
  debug: (message, fields) => logger.debug(fields ?? {}, message),
  info: (message, fields) => logger.info(fields ?? {}, message),
  warn: (message, fields) => logger.warn(fields ?? {}, message),
  error: (message, fields) => logger.error(fields ?? {}, message),
  child: (bindings) => wrap(logger.child(bindings)),
});

export interface LoggerOptions {
  /** The service or tool: every line carries it. */
  name: string;
  /** `debug`, `info` (default), `warn`, `error` or `silent`. */
  level?: string;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
}

/** The pino instance itself, for what takes one directly (Fastify's request log). */
export const createPino = (options: LoggerOptions): PinoLogger =>
  pino({ name: options.name, level: options.level ?? 'info', base: { service: options.name } }, options.destination);

export const structuredLogger = (logger: PinoLogger): StructuredLogger => wrap(logger);

export const createLogger = (options: LoggerOptions): StructuredLogger => wrap(createPino(options));
