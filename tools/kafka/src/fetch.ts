import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { defaultLibsDir, pomPath, resolveKafkaVersion } from './config';
import { CommandNotFoundError, runCommand, tailLines } from './proc';

export interface FetchKafkaJarsOptions {
  /** Kafka version (default: env KAFKA_VERSION, else DEFAULT_KAFKA_VERSION). */
  version?: string;
  /** Where the jars go (default: <KAFKA_CACHE_DIR or <repo>/.cache/kafka>/<version>/libs). */
  libsDir?: string;
  /** Maven executable (default: env MVN, else `mvn` on PATH). */
  mvn?: string;
  /** Fetch again even when the cache is complete. */
  force?: boolean;
}

export interface FetchKafkaJarsResult {
  version: string;
  libsDir: string;
  jars: string[];
  /** false when the cache was already complete and Maven was not run. */
  fetched: boolean;
  durationMs: number;
}

/** Written into libsDir after a successful copy; its absence means the directory is not usable. */
export const MARKER_FILE = '.clientela-kafka-complete.json';

interface Marker {
  version: string;
  pomSha256: string;
  jars: string[];
  fetchedAt: string;
}

async function pomSha256(): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(pomPath()))
    .digest('hex');
}

/** The marker, when it matches this version and pom.xml and every jar it lists is present. */
async function readCompleteMarker(libsDir: string, version: string, pomHash: string): Promise<Marker | undefined> {
  let marker: Marker;
  try {
    marker = JSON.parse(await fs.readFile(path.join(libsDir, MARKER_FILE), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
  if (marker.version !== version || marker.pomSha256 !== pomHash || !Array.isArray(marker.jars)) return undefined;
  if (marker.jars.length === 0 || !marker.jars.every((jar) => existsSync(path.join(libsDir, jar)))) return undefined;
  return marker;
}

/**
 * Copies the broker's runtime jars from Maven Central (through ~/.m2) into the cache with
 * `mvn dependency:copy-dependencies`. Skips Maven when the cache already holds a complete copy.
 * The copy goes to a scratch directory that is renamed into place, so an interrupted fetch never
 * leaves a directory that looks complete.
 */
export async function fetchKafkaJars(options: FetchKafkaJarsOptions = {}): Promise<FetchKafkaJarsResult> {
  const started = Date.now();
  const version = resolveKafkaVersion(options.version);
  const libsDir = path.resolve(options.libsDir ?? defaultLibsDir(version));
  const pomHash = await pomSha256();

  if (!options.force) {
    const marker = await readCompleteMarker(libsDir, version, pomHash);
    if (marker) return { version, libsDir, jars: marker.jars, fetched: false, durationMs: Date.now() - started };
  }

  await fs.mkdir(path.dirname(libsDir), { recursive: true });
  const scratch = `${libsDir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  const mvn = options.mvn ?? process.env.MVN ?? 'mvn';
  const args = [
    '-q',
    '-B',
    '-Dstyle.color=never',
    '-f',
    pomPath(),
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${scratch}`,
    `-Dkafka.version=${version}`,
  ];

  try {
    const result = await runCommand(mvn, args, { cwd: path.dirname(pomPath()) }).catch((err: unknown) => {
      if (err instanceof CommandNotFoundError) {
        throw new Error(
          `kafka-runner: cannot run Maven (\`${mvn}\`): ${err.cause.message}. ` +
            'Install Maven 3.6+ and a JDK 17 (e.g. `apt-get install maven openjdk-17-jdk-headless`) or set MVN to the mvn executable.',
        );
      }
      throw err;
    });
    if (result.code !== 0) {
      throw new Error(
        `kafka-runner: \`${mvn} ${args.join(' ')}\` failed ` +
          `(${result.signal ? `signal ${result.signal}` : `exit code ${String(result.code)}`}). ` +
          `Maven needs to reach Maven Central (or a mirror in ~/.m2/settings.xml). Last output:\n` +
          (tailLines(result.output, 30) || '(no output)'),
      );
    }

    const jars = (await fs.readdir(scratch).catch(() => [] as string[])).filter((name) => name.endsWith('.jar')).sort();
    if (!jars.some((jar) => jar.startsWith('kafka_2.13-'))) {
      throw new Error(`kafka-runner: Maven succeeded but ${scratch} holds no kafka_2.13 jar (found ${jars.length} jars).`);
    }
    const marker: Marker = { version, pomSha256: pomHash, jars, fetchedAt: new Date().toISOString() };
    await fs.writeFile(path.join(scratch, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);

    // Swap into place. Another process may have completed the same fetch meanwhile: then keep its copy
    // (a broker may already be running from it) and drop ours.
    if (!options.force && (await readCompleteMarker(libsDir, version, pomHash))) {
      return { version, libsDir, jars, fetched: true, durationMs: Date.now() - started };
    }
    await fs.rm(libsDir, { recursive: true, force: true });
    try {
      await fs.rename(scratch, libsDir);
    } catch (err) {
      if (!(await readCompleteMarker(libsDir, version, pomHash))) throw err;
    }
    return { version, libsDir, jars, fetched: true, durationMs: Date.now() - started };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
