import { access } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import { INGEST_TOPIC, ValidationError, parseIngestMessage, type IngestMessage } from '@clientela/contracts';
import { requireKafka } from '@clientela/admin';
import { positiveInt, positiveNumber, type CliContext } from '../cli-context';
import { UsageError } from '../usage-error';
import { countLines, readIngestFile } from '../ingest/ingest-file';
import { formatNumber, printJson, progressBar, write } from '../output';
import { callGateway, remoteOf } from '../target';

interface IngestSummary {
  via: 'http' | 'kafka';
  messages: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Kafka: sent to the topic; acceptance and duplicates are the consumer's to decide. */
  sent: number;
  rejections: Array<{ line: number; reason: string }>;
}

/** The results of POST /api/v1/events: a count per outcome and one result per item, in order. */
interface IngestAnswer {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: Array<{ index: number; status: 'accepted' | 'duplicate' | 'rejected'; code?: string; detail?: string; violations?: Array<{ path: string; constraints: Record<string, string> }> }>;
}

/** A refusal as the service gave it: its code, its detail and what each violation says. */
const refusalOf = (result: IngestAnswer['results'][number]): string => {
  const violations = (result.violations ?? []).map((v) => `${v.path || '(message)'}: ${Object.values(v.constraints).join(', ')}`).join('; ');
  return `${result.code ? `${result.code}: ` : ''}${result.detail ?? 'rejected'}${violations ? ` (${violations})` : ''}`;
};

const MAX_SHOWN_REJECTIONS = 20;

export const ingestCommand = (program: Command, cli: CliContext): void => {
  program
    .command('ingest')
    .description('sends the ingest messages of a file (NDJSON of the ingest contract, or CDNOW transactions converted on the fly)')
    .argument('<file>', 'the file')
    .addOption(new Option('--via <door>', 'http: POST /api/v1/events at the gateway (--url, --api-key); kafka: the clientela.ingest.v1 topic').choices(['http', 'kafka']).default('http'))
    .addOption(new Option('--format <format>', 'ndjson (one ingest message per line) or cdnow (datasets/cdnow)').choices(['ndjson', 'cdnow']).default('ndjson'))
    .option('--rate <n>', 'messages per second at most', positiveNumber('--rate'))
    .option('--batch <n>', 'messages per request or produce batch (at most 1,000)', positiveInt('--batch'), 1_000)
    .option('--topic <topic>', 'kafka: the topic (default clientela.ingest.v1 with KAFKA_TOPIC_PREFIX)')
    .option('--json', 'the summary as JSON')
    .addHelpText(
      'after',
      `
Every message is checked against the ingest contract first; one that breaks it is reported with its
line and not sent. Over HTTP each message is answered accepted, duplicate or rejected; over Kafka the
ingest consumer dedupes by (source, id) and dead-letters what it refuses (clientela dead-letters list).

Examples:
  $ clientela ingest datasets/cdnow/cdnow_sample.txt --format cdnow --url http://127.0.0.1:3000 --api-key $KEY
  $ clientela ingest events.ndjson --via kafka --rate 2000`,
    )
    .action(async (file: string, options: { via: 'http' | 'kafka'; format: 'ndjson' | 'cdnow'; rate?: number; batch: number; topic?: string; json?: boolean }) => {
      if (options.batch > 1_000) throw new UsageError('--batch may be at most 1,000 (what POST /api/v1/events takes)');
      await access(file).catch(() => {
        throw new ValidationError(`cannot read ${file}`);
      });
      const via = options.via;
      const send = via === 'http' ? await httpSender(cli) : await kafkaSender(cli, options.topic);
      const summary: IngestSummary = { via, messages: 0, accepted: 0, duplicates: 0, rejected: 0, sent: 0, rejections: [] };
      const reject = (line: number, reason: string) => {
        summary.rejected++;
        if (summary.rejections.length < MAX_SHOWN_REJECTIONS) summary.rejections.push({ line, reason });
      };
      const total = await countLines(file);
      const bar = options.json ? undefined : progressBar(cli.err, `ingest |{bar}| {percentage} % | {value}/{total} messages | ETA {eta_formatted}`);
      bar?.start(total, 0);
      const started = Date.now();
      let batch: Array<{ line: number; message: IngestMessage }> = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const outcome = await send(batch.map((b) => b.message));
        if (outcome) {
          summary.accepted += outcome.accepted;
          summary.duplicates += outcome.duplicates;
          for (const result of outcome.results) if (result.status === 'rejected') reject(batch[result.index].line, refusalOf(result));
          summary.rejected += outcome.rejected - outcome.results.filter((r) => r.status === 'rejected').length;
        } else {
          summary.sent += batch.length;
        }
        batch = [];
        bar?.update(summary.messages);
        if (options.rate) {
          const due = started + (summary.messages / options.rate) * 1000;
          if (due > Date.now()) await sleep(due - Date.now());
        }
      };
      try {
        for await (const item of readIngestFile(file, options.format)) {
          summary.messages++;
          if ('error' in item) {
            reject(item.line, item.error);
            continue;
          }
          try {
            batch.push({ line: item.line, message: parseIngestMessage(item.message) });
          } catch (error) {
            reject(item.line, error instanceof Error ? error.message : String(error));
            continue;
          }
          if (batch.length >= Math.min(options.batch, options.rate ? Math.ceil(options.rate) : Infinity)) await flush();
        }
        await flush();
        bar?.update(summary.messages);
      } finally {
        bar?.stop();
        await send.close();
      }
      if (options.json) return printJson(cli.out, summary);
      await write(
        cli.out,
        (via === 'http'
          ? `${formatNumber(summary.messages)} messages: ${formatNumber(summary.accepted)} accepted, ${formatNumber(summary.duplicates)} duplicates, ${formatNumber(summary.rejected)} rejected\n`
          : `${formatNumber(summary.messages)} messages: ${formatNumber(summary.sent)} sent to Kafka, ${formatNumber(summary.rejected)} rejected before sending (the ingest consumer dedupes and dead-letters)\n`) +
          [...summary.rejections].sort((a, b) => a.line - b.line).map((r) => `  line ${r.line}: ${r.reason}\n`).join('') +
          (summary.rejected > summary.rejections.length ? `  … and ${formatNumber(summary.rejected - summary.rejections.length)} more\n` : ''),
      );
      if (summary.rejected > 0) process.exitCode = 1;
    });
};

type Sender = ((messages: IngestMessage[]) => Promise<IngestAnswer | undefined>) & { close(): Promise<void> };

/** POST /api/v1/events at the gateway: each message answered accepted, duplicate or rejected. */
const httpSender = async (cli: CliContext): Promise<Sender> => {
  const remote = remoteOf(cli.globals(), cli.env);
  if (!remote) throw new UsageError('--via http needs the gateway: --url and --api-key (or CLIENTELA_URL and CLIENTELA_API_KEY)');
  const send = async (messages: IngestMessage[]): Promise<IngestAnswer> => {
    return (await callGateway(remote, '/api/v1/events', { method: 'POST', json: messages })).body as unknown as IngestAnswer;
  };
  return Object.assign(send, { close: async () => undefined });
};

/** clientela.ingest.v1: keyed by the customer, so one customer's messages stay in order. */
const kafkaSender = async (cli: CliContext, topicOption: string | undefined): Promise<Sender> => {
  const connections = await cli.local();
  const kafka = requireKafka(connections, 'ingest --via kafka');
  const topic = topicOption ?? `${connections.topicPrefix}${INGEST_TOPIC}`;
  const { durableProducer } = await import('@clientela/messaging');
  const producer = durableProducer(kafka, { allowAutoTopicCreation: false });
  await producer.connect();
  const send = async (messages: IngestMessage[]): Promise<undefined> => {
    await producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({ key: `${m.source}:${m.customer.externalId ?? m.customer.email ?? m.customer.phone}`, value: JSON.stringify(m) })),
    });
    return undefined;
  };
  return Object.assign(send, { close: () => producer.disconnect() });
};
