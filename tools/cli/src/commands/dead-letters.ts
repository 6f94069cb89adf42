import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { UsageError } from '../usage-error';
import { printJson, table, write } from '../output';

export const deadLettersCommands = (program: Command, cli: CliContext): void => {
  const deadLetters = program
    .command('dead-letters')
    .description('messages consumers gave up on, with the reason: <topic>.dlq in Kafka mode, the messaging.dead_letters table standalone');

  deadLetters
    .command('list')
    .description('open dead letters, oldest first, per consumer, with the reason of each')
    .option('--topic <topic>', 'Kafka: only the dead letters of this consumed topic')
    .option('--consumer <name>', 'only this consumer\'s')
    .option('--json', 'JSON instead of a table')
    .addHelpText('after', '\nExamples:\n  $ clientela dead-letters list\n  $ clientela dead-letters list --consumer contacts.ingest --json')
    .action(async (options: { topic?: string; consumer?: string; json?: boolean }) => {
      const letters = await (await cli.target()).listDeadLetters({ topic: options.topic, consumer: options.consumer });
      if (options.json) return printJson(cli.out, letters);
      if (letters.length === 0) return write(cli.out, 'no open dead letters\n');
      await write(
        cli.out,
        table(['ID', 'CONSUMER', 'FAILED AT', 'CODE', 'TYPE', 'ATTEMPTS', 'REASON'], letters.map((l) => [l.id, l.consumer, l.failedAt, l.code, l.eventType ?? '', l.attempts, l.reason.replace(/\s+/g, ' ').slice(0, 120)])),
      );
    });

  deadLetters
    .command('show')
    .description('one dead letter: its reason, headers and the original message')
    .argument('<id>', 'as `list` shows it (`<topic>.dlq:<partition>:<offset>` in Kafka, a number in the table)')
    .addHelpText('after', '\nExample:\n  $ clientela dead-letters show clientela.ingest.v1.dlq:0:17')
    .action(async (id: string) => {
      const letter = await (await cli.target()).showDeadLetter(id);
      let value: unknown = letter.value;
      try {
        value = JSON.parse(letter.value);
      } catch {
        // not JSON: shown as it came
      }
      await printJson(cli.out, { ...letter, value });
    });

  deadLetters
    .command('redrive')
    .description('puts dead letters back to be handled again (consumers are idempotent: a second delivery has no second effect)')
    .argument('[ids...]', 'these letters')
    .option('--all', 'every open letter of the selection (--topic, --consumer), or of all')
    .option('--topic <topic>', 'Kafka: only this consumed topic\'s letters')
    .option('--consumer <name>', 'only this consumer\'s letters')
    .addHelpText('after', '\nExamples:\n  $ clientela dead-letters redrive 12 13\n  $ clientela dead-letters redrive --all --consumer contacts.ingest')
    .action(async (ids: string[], options: { all?: boolean; topic?: string; consumer?: string }) => {
      if (ids.length === 0 && !options.all) throw new UsageError('name the dead letters to re-drive, or say --all (with --topic or --consumer to narrow it)');
      const count = await (await cli.target()).redriveDeadLetters({ ...(ids.length ? { ids } : {}), topic: options.topic, consumer: options.consumer });
      await write(cli.out, `re-drove ${count} dead letter${count === 1 ? '' : 's'}\n`);
    });
};
