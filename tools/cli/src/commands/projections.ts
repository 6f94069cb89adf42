import type { Command } from 'commander';
import type { ProjectionStatusJson } from '@clientela/admin';
import { ConflictError } from '@clientela/contracts';
import { setTimeout as sleep } from 'node:timers/promises';
import { positiveInt, type CliContext } from '../cli-context';
import { formatNumber, printJson, progressBar, table, write } from '../output';

const statusTable = (statuses: ProjectionStatusJson[]): string =>
  table(
    ['PROJECTION', 'VERSION', 'STATE', 'POSITION', 'LAG EVENTS', 'LAG S', 'EVENTS/S', 'DEAD', 'LAST ERROR'],
    statuses.map((s) => [
      s.name,
      s.version,
      s.rebuild ? `${s.status} (rebuild ${Math.round(s.rebuild.progress * 100)} %)` : s.rebuildRequestedAt ? `${s.status} (rebuild asked)` : s.status,
      s.position,
      formatNumber(s.lagEvents),
      s.lagSeconds,
      s.eventsPerSecond,
      s.deadLetters,
      s.lastError ? `${s.lastError.at} ${s.lastError.message}` : '',
    ]),
  );

/**
 * Follows a requested rebuild until its swap (the registry's request is cleared then), with a bar of the
 * share of the store read into the new copy; a rebuild that fails says why.
 */
const followRebuild = async (cli: CliContext, name: string, requested: ProjectionStatusJson, pollMs: number): Promise<ProjectionStatusJson> => {
  const target = await cli.target();
  const askedAt = requested.rebuildRequestedAt ?? new Date().toISOString();
  if (!requested.owner) await write(cli.err, `no runner of ${name} is active now; the rebuild starts when one is\n`);
  const bar = progressBar(cli.err, `rebuild ${name} |{bar}| {percentage} % | {events} events | ETA {eta_formatted}`);
  bar.start(100, 0, { events: 0 });
  try {
    for (;;) {
      const [status] = await target.projectionStatuses(name);
      if (status.lastError && status.lastError.at >= askedAt && status.lastError.message.startsWith('rebuild failed')) {
        throw new ConflictError(`${name}: ${status.lastError.message} (the live copy is unchanged)`);
      }
      if (!status.rebuildRequestedAt) {
        bar.update(100, { events: formatNumber(status.eventsApplied) });
        return status;
      }
      if (status.rebuild) bar.update(Math.min(99, Math.floor(status.rebuild.progress * 100)), { events: formatNumber(status.rebuild.events) });
      await sleep(pollMs);
    }
  } finally {
    bar.stop();
  }
};

export const projectionsCommands = (program: Command, cli: CliContext): void => {
  const projections = program.command('projections').description('read models: status, rebuild, reset (also /api/v1/admin/projections)');

  projections
    .command('status')
    .description('position, lag in events and seconds, state, last error of every projection (or one)')
    .argument('[name]', 'only this projection')
    .option('--json', 'JSON instead of a table')
    .addHelpText('after', '\nExamples:\n  $ clientela projections status\n  $ clientela projections status contacts --json')
    .action(async (name: string | undefined, options: { json?: boolean }) => {
      const statuses = await (await cli.target()).projectionStatuses(name);
      if (options.json) return printJson(cli.out, name ? statuses[0] : statuses);
      await write(cli.out, statuses.length ? statusTable(statuses) : 'no projection has run on this database\n');
    });

  const rebuildAction = (kind: 'rebuild' | 'reset') => async (name: string, options: { wait: boolean; pollMs: number }) => {
    const target = await cli.target();
    let requested: ProjectionStatusJson;
    if (kind === 'reset') {
      const reset = await target.resetProjection(name);
      await write(cli.err, `${name}: cleared its last error and ${reset.clearedDeadLetters} parked events\n`);
      requested = reset;
    } else {
      requested = await target.rebuildProjection(name);
    }
    if (!options.wait) return write(cli.out, `${name}: rebuild requested; follow it with \`clientela projections status ${name}\`\n`);
    const done = await followRebuild(cli, name, requested, options.pollMs);
    await write(cli.out, `${name}: new copy swapped in at position ${done.position} (version ${done.version})\n`);
  };

  projections
    .command('rebuild')
    .description('builds a new copy from the first event beside the live one (which keeps serving), then swaps it in')
    .argument('<name>', 'the projection')
    .option('--no-wait', 'ask for the rebuild and return at once')
    .option('--poll-ms <ms>', 'how often to ask for progress', positiveInt('--poll-ms'), 250)
    .addHelpText('after', '\nExamples:\n  $ clientela projections rebuild contacts\n  $ clientela projections rebuild contacts --url https://crm.example.com --api-key $KEY')
    .action(rebuildAction('rebuild'));

  projections
    .command('reset')
    .description('clears the last error and the parked (dead-lettered) events, then rebuilds: every event is applied again')
    .argument('<name>', 'the projection')
    .option('--no-wait', 'ask for the rebuild and return at once')
    .option('--poll-ms <ms>', 'how often to ask for progress', positiveInt('--poll-ms'), 250)
    .addHelpText('after', '\nExample:\n  $ clientela projections reset contacts')
    .action(rebuildAction('reset'));
};
