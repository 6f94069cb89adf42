import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Kafka version used when neither an option nor KAFKA_VERSION says otherwise. Keep in step with tools/kafka/pom.xml. */
export const DEFAULT_KAFKA_VERSION = '3.9.2';

/** Kafka versions whose start recipe this runner knows (3.7 and later 3.x: KRaft, log4j 1 via reload4j). */
const SUPPORTED_VERSION = /^3\.(7|8|9)\.\d+$/;

let cachedToolDir: string | undefined;

/**
 * The tools/kafka directory (holds pom.xml and log4j.properties). Found by walking up from this file,
 * so it works from src/ (ts-node, @swc-node/register, jest) and from a compiled copy under dist/.
 */
export function kafkaToolDir(): string {
  if (cachedToolDir !== undefined) return cachedToolDir;
  let dir = __dirname;
  for (;;) {
    for (const candidate of [dir, path.join(dir, 'tools', 'kafka')]) {
      if (existsSync(path.join(candidate, 'pom.xml')) && existsSync(path.join(candidate, 'log4j.properties'))) {
        cachedToolDir = candidate;
        return candidate;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`kafka-runner: cannot find tools/kafka/pom.xml above ${__dirname}`);
    }
    dir = parent;
  }
}

/** The repository root (two levels above tools/kafka). */
export function repoRoot(): string {
  return path.resolve(kafkaToolDir(), '..', '..');
}

export function pomPath(): string {
  return path.join(kafkaToolDir(), 'pom.xml');
}

export function log4jConfigPath(): string {
  return path.join(kafkaToolDir(), 'log4j.properties');
}

/** The Kafka version to use: explicit option, then env KAFKA_VERSION, then DEFAULT_KAFKA_VERSION. */
export function resolveKafkaVersion(explicit?: string): string {
  const version = (explicit ?? process.env.KAFKA_VERSION ?? '').trim() || DEFAULT_KAFKA_VERSION;
  if (!SUPPORTED_VERSION.test(version)) {
    throw new Error(
      `kafka-runner: Kafka version "${version}" is not supported (expected 3.7.x to 3.9.x). ` +
        `Kafka 4.x needs a Log4j2 binding and extra broker settings that this runner does not set up yet.`,
    );
  }
  return version;
}

/** Root of the jar cache: env KAFKA_CACHE_DIR, else <repo>/.cache/kafka. Jars go to <root>/<version>/libs. */
export function kafkaCacheRoot(): string {
  const fromEnv = process.env.KAFKA_CACHE_DIR?.trim();
  return fromEnv ? path.resolve(fromEnv) : path.join(repoRoot(), '.cache', 'kafka');
}

export function defaultLibsDir(version: string): string {
  return path.join(kafkaCacheRoot(), version, 'libs');
}
