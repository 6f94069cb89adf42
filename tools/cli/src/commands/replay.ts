import type { Command } from 'commander';
import type { SingleBar } from 'cli-progress';
import type { ReplayResult } from '@clientela/admin';
import type { Position } from '@clientela/contracts';
import { collect, dateOption, positionOption, positiveNumber, type CliContext } from '../cli-context';
import { formatNumber, printJson, progressBar, table, write } from '../output';

interface ReplayCliOptions {
  fromPosition?: Position;
  toPosition?: Position;
  since?: Date;
  until?: Date;
  category?: string[];
  type?: string[];
  toTopic?: string;
  rate?: number;
  dryRun?: boolean;
  restart?: boolean;
  json?: boolean;
}

const summary = (result: ReplayResult): string =>
  (result.dryRun
    ? `dry run: ${formatNumber(result.total)} events would be sent\n`
    : `${result.finished ? 'finished' : 'interrupted'}: sent ${formatNumber(result.sent)} events now` +
      (result.sentBefore ? `, ${formatNumber(result.sentBefore)} in earlier runs` : '') +
      (result.skipped ? ` (${formatNumber(result.skipped)} of categories no topic carries were skipped)` : '') +
      `; replay ${result.id}, up to position ${result.endPosition}\n` +
      (result.finished ? '' : 'run the same command again to go on from where it stopped\n')) +
  (Object.keys(result.topics).length ? table(['TOPIC', 'EVENTS'], Object.entries(result.topics).map(([topic, n]) => [topic, formatNumber(n)])) : '');

export const replayCommand = (program: Command, cli: CliContext): void => {
  program
    .command('replay')
    .description('publishes a range of the store to Kafka again, as the relay publishes it (same key, headers, value); resumable')
    .option('--from-position <p>', 'events after this position (exclusive)', positionOption('--from-position'))
    .option('--to-position <q>', 'up to and including this position (default: the head when the replay first ran)', positionOption('--to-position'))
    .option('--since <date>', 'recorded at or after', dateOption('--since'))
    .option('--until <date>', 'recorded before', dateOption('--until'))
    .option('-c, --category <category>', 'only streams of this category (repeat, or a,b)', collect)
    .option('-t, --type <type>', 'only this event type (repeat, or a,b)', collect)
    .option('--to-topic <topic>', 'send every event to this topic instead of its context\'s topic')
    .option('--rate <n>', 'events per second at most', positiveNumber('--rate'))
    .option('--dry-run', 'count what would be sent, per topic; send nothing')
    .option('--restart', 'forget where an earlier run of these arguments stopped and send the whole range again')
    .option('--json', 'the summary as JSON')
    .addHelpText(
      'after',
      `
An interrupted replay (Ctrl-C stops it after the page in flight) goes on from where it stopped when run
again with the same arguments: nothing is sent twice. Needs Kafka (BUS=kafka and KAFKA_BROKERS, or --kafka-brokers).

Examples:
  $ clientela replay --category order --dry-run
  $ clientela replay --category contact --from-position 0 --to-position 1844674407370955161600 --to-topic contacts.replay --rate 500
  $ clientela replay --since 2026-03-01 --until 2026-03-02 --url http://127.0.0.1:3000 --api-key $KEY`,
    )
    .action(async (options: ReplayCliOptions) => {
      const target = await cli.target();
      const abort = new AbortController();
      const interrupt = () => {
        void write(cli.err, '\nstopping after the page in flight…\n');
        abort.abort();
      };
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      let bar: SingleBar | undefined;
      const started = Date.now();
      try {
        const result = await target.replay({
          fromPosition: options.fromPosition,
          toPosition: options.toPosition,
          since: options.since,
          until: options.until,
          categories: options.category,
          types: options.type,
          toTopic: options.toTopic,
          rate: options.rate,
          dryRun: options.dryRun,
          restart: options.restart,
          signal: abort.signal,
          onProgress: (progress) => {
            if (!bar) {
              bar = progressBar(cli.err, 'replay |{bar}| {percentage} % | {value}/{total} events | {speed} events/s | ETA {eta_formatted}');
              bar.start(progress.total, 0, { speed: 0 });
            }
            const seconds = (Date.now() - started) / 1000;
            bar.update(progress.sent, { speed: seconds > 0 ? Math.round(progress.sent / seconds) : 0 });
          },
        });
        bar?.stop();
        bar = undefined;
        await (options.json ? printJson(cli.out, result) : write(cli.out, summary(result)));
        if (!result.finished && !result.dryRun) process.exitCode = 130;
      } finally {
        bar?.stop();
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
      }
    });
};
