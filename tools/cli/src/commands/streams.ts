import { Option, type Command } from 'commander';
import { eventPages, listStreams, readStreamEvents, type CategoryCount, type StreamSummary } from '@clientela/admin';
import type { Position } from '@clientela/contracts';
import { collect, dateOption, nonNegativeInt, positionOption, positiveInt, type CliContext } from '../cli-context';
import { formatBytes, formatNumber, printJson, table, write } from '../output';

export const streamsCommands = (program: Command, cli: CliContext): void => {
  const streams = program.command('streams').description('streams by category, one stream\'s events, statistics of the store');

  streams
    .command('list')
    .description('categories with their streams and events; with --category, that category\'s streams')
    .option('-c, --category <category>', 'list the streams of this category')
    .option('--after <streamId>', 'the page after this stream id (streams are listed by id)')
    .option('--limit <n>', 'streams per page', positiveInt('--limit'), 100)
    .option('--json', 'JSON instead of a table')
    .addHelpText('after', '\nExamples:\n  $ clientela streams list\n  $ clientela streams list --category contact --limit 20')
    .action(async (options: { category?: string; after?: string; limit: number; json?: boolean }) => {
      const rows = await listStreams(await cli.local('streams list'), options);
      if (options.json) return printJson(cli.out, rows);
      if (!options.category) {
        const categories = rows as CategoryCount[];
        return write(cli.out, table(['CATEGORY', 'STREAMS', 'EVENTS'], categories.map((c) => [c.category, formatNumber(c.streams), formatNumber(c.events)])));
      }
      const list = rows as StreamSummary[];
      await write(cli.out, table(['STREAM', 'EVENTS', 'UPDATED', 'DELETED'], list.map((s) => [s.streamId, s.events, s.updatedAt, s.deleted ? 'yes' : ''])));
      if (list.length === options.limit) await write(cli.err, `more: --after ${list[list.length - 1].streamId}\n`);
    });

  streams
    .command('read')
    .description('the events of one stream, oldest first (as stored: not upcast)')
    .argument('<streamId>', 'e.g. contact-0b6e4c1e-…')
    .addOption(new Option('--format <format>', 'jsonl (one event per line) or table').choices(['jsonl', 'table']).default('jsonl'))
    .option('--from <revision>', 'first revision', nonNegativeInt('--from'), 0)
    .option('--limit <n>', 'events at most', positiveInt('--limit'), 1_000)
    .addHelpText('after', '\nExamples:\n  $ clientela streams read contact-0b6e4c1e-5d43-4f3e-9a51-1f1f0e6f0a11\n  $ clientela streams read contact-0b6e… --format table')
    .action(async (streamId: string, options: { format: string; from: number; limit: number }) => {
      const events = await readStreamEvents(await cli.local('streams read'), streamId, options);
      if (options.format === 'table') {
        return write(cli.out, table(['REV', 'TYPE', 'RECORDED', 'POSITION', 'ACTOR'], events.map((e) => [e.revision, e.type, e.recordedAt, e.position, e.metadata.actor ?? ''])));
      }
      for (const event of events) await write(cli.out, `${JSON.stringify(event)}\n`);
    });

  streams
    .command('stats')
    .description('events, streams, per category and type, head position, size on disk (also GET /api/v1/admin/streams/stats)')
    .option('--json', 'JSON instead of tables')
    .addHelpText('after', '\nExamples:\n  $ clientela streams stats\n  $ clientela streams stats --url http://127.0.0.1:3000 --api-key $KEY --json')
    .action(async (options: { json?: boolean }) => {
      const stats = await (await cli.target()).storeStatistics();
      if (options.json) return printJson(cli.out, stats);
      await write(
        cli.out,
        `events         ${formatNumber(stats.events)}\nstreams        ${formatNumber(stats.streams)}\nhead position  ${stats.headPosition}\nsize on disk   ${formatBytes(stats.sizeOnDiskBytes)}\n\n` +
          table(['CATEGORY', 'STREAMS', 'EVENTS'], stats.categories.map((c) => [c.category, formatNumber(c.streams), formatNumber(c.events)])) +
          '\n' +
          table(['TYPE', 'EVENTS'], stats.types.map((t) => [t.type, formatNumber(t.events)])),
      );
    });

  program
    .command('events')
    .description('events of the whole store by range, as JSON lines, streamed (constant memory)')
    .option('-t, --type <type>', 'only this event type (repeat, or a,b)', collect)
    .option('-c, --category <category>', 'only this stream category (repeat, or a,b)', collect)
    .option('--from-position <p>', 'events after this position (exclusive)', positionOption('--from-position'))
    .option('--to-position <q>', 'up to and including this position', positionOption('--to-position'))
    .option('--since <date>', 'recorded at or after (ISO date or time)', dateOption('--since'))
    .option('--until <date>', 'recorded before (ISO date or time)', dateOption('--until'))
    .option('--page-size <n>', 'events read per round trip', positiveInt('--page-size'), 1_000)
    .addHelpText(
      'after',
      '\nExamples:\n  $ clientela events --category contact --since 2026-01-01 > contacts.jsonl\n  $ clientela events --type OrderPlaced --from-position 1844674407370955161600 | jq .data.amount',
    )
    .action(async (options: { type?: string[]; category?: string[]; fromPosition?: Position; toPosition?: Position; since?: Date; until?: Date; pageSize: number }) => {
      const range = {
        fromPosition: options.fromPosition,
        toPosition: options.toPosition,
        since: options.since,
        until: options.until,
        categories: options.category,
        types: options.type,
      };
      const connections = await cli.local('events');
      for await (const page of eventPages(connections, range, { pageSize: options.pageSize })) {
        if (page.events.length === 0) continue;
        let chunk = '';
        for (const event of page.events) chunk += `${JSON.stringify(event)}\n`;
        await write(cli.out, chunk);
      }
    });
};
