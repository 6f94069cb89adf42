import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

/**
 * What every library logs through (event store, messaging, projections, the kit): a message and
 * structured fields. The platform's is pino (`createLogger`); tests pass a recording or silent one.
 */
export interface LogSink {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The platform's logger: a LogSink that also makes children carrying bindings (a projection, a relay). */
export interface StructuredLogger extends LogSink {
  child(bindings: Record<string, unknown>): StructuredLogger;
  /** Whether a line at this level would be written: a busy path need not build one that would not. */
  isLevelEnabled(level: 'debug' | 'info' | 'warn' | 'error'): boolean;
}

/** Logs nothing: the default of every library component when none is given. */
export const silentLogger: StructuredLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
  isLevelEnabled: () => false,
};

/** The message of an error-like value, for a log field. */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const wrap = (logger: PinoLogger): StructuredLogger => ({
  debug: (message, fields) => logger.debug(fields ?? {}, message),
  info: (message, fields) => logger.info(fields ?? {}, message),
  warn: (message, fields) => logger.warn(fields ?? {}, message),
  error: (message, fields) => logger.error(fields ?? {}, message),
  child: (bindings) => wrap(logger.child(bindings)),
  isLevelEnabled: (level) => logger.isLevelEnabled(level),
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
