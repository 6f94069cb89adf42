import { createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import { ValidationError } from '@clientela/contracts';
import type { CliContext } from '../cli-context';
import { UsageError } from '../usage-error';
import { countLines } from '../ingest/ingest-file';
import { formatNumber, printJson, progressBar, write } from '../output';
import { callGateway, remoteOf, type GatewayRequest } from '../target';

interface ImportAnswer {
  id: string;
  /** Of the job's last event: its errors are read from there on. */
  position: string;
  status: 'finished' | 'failed';
  reason: string | null;
  rowsRead: number;
  created: number;
  matched: number;
  failed: number;
}

const MAX_SHOWN_ERRORS = 20;

/** An option's parser: a text encoding's label, as the contacts service reads it (WHATWG Encoding). */
const charsetOption = (name: string) => (value: string): string => {
  try {
    return new TextDecoder(value).encoding;
  } catch {
    throw new UsageError(`${name} must be a text encoding such as utf-8, windows-1252 or utf-16le (got ${JSON.stringify(value)})`);
  }
};

export const importCommand = (program: Command, cli: CliContext): void => {
  program
    .command('import')
    .description('imports contacts or accounts from a CSV file at the gateway (POST /api/v1/imports), with a dry run')
    .argument('<file>', 'the CSV file, with a header row')
    .requiredOption('--mapping <file>', 'JSON file: {"columns": {"<CSV column>": "<field>"}, "source": "<system>"}')
    .addOption(new Option('--kind <kind>', 'contacts or accounts').choices(['contacts', 'accounts']).default('contacts'))
    .option('--encoding <charset>', 'the file\'s text encoding: utf-8, windows-1252 (Excel on Windows), utf-16le, iso-8859-15 … (a WHATWG label)', charsetOption('--encoding'), 'utf-8')
    .option('--dry-run', 'check every row and report the bad ones; create nothing')
    .option('--json', 'the summary (and the first errors) as JSON')
    .addHelpText(
      'after',
      `
Contacts go through identity resolution, as ingested events do: a row that names a known contact
(external id in its source, email, phone) is matched, not created again, so running a file twice
creates nothing the second time. Exit code 1 when a row was refused (listed with its row and column).

Examples:
  $ clientela import customers.csv --mapping mapping.json --dry-run --url http://127.0.0.1:3000 --api-key $KEY
  $ clientela import companies.csv --kind accounts --mapping accounts.json`,
    )
    .action(async (file: string, options: { mapping: string; kind: 'contacts' | 'accounts'; encoding: string; dryRun?: boolean; json?: boolean }) => {
      const remote = remoteOf(cli.globals(), cli.env);
      if (!remote) throw new UsageError('import needs the gateway: --url and --api-key (or CLIENTELA_URL and CLIENTELA_API_KEY)');
      await access(file).catch(() => {
        throw new ValidationError(`cannot read ${file}`);
      });
      const mapping = await readFile(options.mapping, 'utf8').catch(() => {
        throw new ValidationError(`cannot read the mapping ${options.mapping}`);
      });
      const call = async (path: string, request: GatewayRequest = {}) => (await callGateway(remote, path, request)).body;

      const rows = Math.max(0, (await countLines(file)) - 1);
      const bar = options.json ? undefined : progressBar(cli.err, `import |{bar}| {percentage} % | {value}/{total} rows | ETA {eta_formatted}`);
      bar?.start(rows, 0);
      const started = new Date().toISOString();
      // The job answers when the file is done; meanwhile its progress is read from the newest job.
      const poll = setInterval(() => {
        void call(`/api/v1/imports?kind=${options.kind}&limit=1`)
          .then((page) => {
            const [job] = (page.items ?? []) as Array<{ startedAt: string; rowsRead: number }>;
            if (job && job.startedAt >= started) bar?.update(job.rowsRead);
          })
          .catch(() => undefined);
      }, 500);
      let answer: ImportAnswer;
      try {
        const query = new URLSearchParams({ kind: options.kind, dryRun: String(Boolean(options.dryRun)), mapping });
        answer = (await call(`/api/v1/imports?${query.toString()}`, {
          method: 'POST',
          headers: { 'content-type': `text/csv; charset=${options.encoding}` },
          stream: () => Readable.toWeb(createReadStream(file)) as ReadableStream,
        })) as unknown as ImportAnswer;
        bar?.update(answer.rowsRead);
      } finally {
        clearInterval(poll);
        bar?.stop();
      }
      const errors = answer.failed > 0 ? ((await call(`/api/v1/imports/${answer.id}/errors?limit=${MAX_SHOWN_ERRORS}`, { headers: { 'x-min-position': answer.position } })).items as Array<{ row: number; field: string; message: string }>) : [];
      if (answer.failed > 0 || answer.status === 'failed') process.exitCode = 1;
      if (options.json) return printJson(cli.out, { ...answer, errors });
      await write(
        cli.out,
        `${options.dryRun ? 'dry run: ' : ''}${formatNumber(answer.rowsRead)} rows: ${formatNumber(answer.created)} ${options.dryRun ? 'would be created' : 'created'}, ${formatNumber(answer.matched)} matched, ${formatNumber(answer.failed)} refused (import ${answer.id})\n` +
          (answer.status === 'failed' ? `  stopped: ${answer.reason ?? 'failed'}\n` : '') +
          errors.map((e) => `  row ${e.row}, ${e.field}: ${e.message}\n`).join('') +
          (answer.failed > errors.length ? `  … GET /api/v1/imports/${answer.id}/errors (Accept: text/csv) lists them all\n` : ''),
      );
    });
};
