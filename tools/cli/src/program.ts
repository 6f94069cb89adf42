import { Command } from 'commander';
import { CliContext } from './cli-context';
import { apiKeysCommands } from './commands/api-keys';
import { deadLettersCommands } from './commands/dead-letters';
import { importCommand } from './commands/import';
import { ingestCommand } from './commands/ingest';
import { projectionsCommands } from './commands/projections';
import { replayCommand } from './commands/replay';
import { seedCommand } from './commands/seed';
import { streamsCommands } from './commands/streams';

/** The whole command line; `run` in main.ts parses argv with it. */
export const buildProgram = (out: NodeJS.WritableStream, err: NodeJS.WritableStream, env: NodeJS.ProcessEnv): { program: Command; cli: CliContext } => {
  const program = new Command('clientela');
  const cli = new CliContext(out, err, env, () => program.opts());
  program
    .description('Clientela for platform engineers: look into streams and events, rebuild projections, replay to Kafka, re-drive dead letters, load and seed data.')
    .option('--url <url>', 'a gateway to run admin operations at, e.g. http://127.0.0.1:3000 (or CLIENTELA_URL)')
    .option('--api-key <key>', 'the gateway\'s admin API key (or CLIENTELA_API_KEY)')
    .option('--kafka-brokers <list>', 'Kafka brokers host:port,… when the platform\'s BUS is not kafka (replay)')
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Configuration: the services' own environment (DATABASE_URL, EVENT_STORE, EVENTSTORE_URL, BUS, KAFKA_BROKERS,
KAFKA_TOPIC_PREFIX), read as they read it; or --url and --api-key for the admin API of a remote gateway
(projections, replay, dead letters, streams stats).

Examples:
  $ clientela streams stats
  $ clientela events --category contact --since 2026-01-01 > contacts.jsonl
  $ clientela projections status
  $ clientela projections rebuild contacts
  $ clientela replay --category order --to-topic orders.replay --rate 1000
  $ clientela dead-letters list --url http://127.0.0.1:3000 --api-key $KEY
  $ clientela ingest datasets/cdnow/cdnow_sample.txt --format cdnow --via kafka
  $ clientela seed --customers 200 --url http://127.0.0.1:3000 --api-key $KEY`,
    );
  streamsCommands(program, cli);
  projectionsCommands(program, cli);
  replayCommand(program, cli);
  deadLettersCommands(program, cli);
  ingestCommand(program, cli);
  seedCommand(program, cli);
  importCommand(program, cli);
  apiKeysCommands(program, cli);
  return { program, cli };
};
