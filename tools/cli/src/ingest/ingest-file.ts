import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CdnowConverter } from '@clientela/contracts';

export type IngestFileFormat = 'ndjson' | 'cdnow';

/** One line of the file: the message it holds, or why it holds none. */
export type IngestLine = { line: number; message: unknown } | { line: number; error: string };

/** The file's messages one line at a time (a file of any size in constant memory). */
export async function* readIngestFile(file: string, format: IngestFileFormat): AsyncGenerator<IngestLine> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const cdnow = new CdnowConverter();
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    try {
      const message = format === 'cdnow' ? cdnow.convert(text) : JSON.parse(text);
      if (message !== undefined) yield { line, message };
    } catch (error) {
      yield { line, error: error instanceof SyntaxError ? `not JSON: ${error.message}` : error instanceof Error ? error.message : String(error) };
    }
  }
}

/** Messages in the file, for the progress bar (a first pass that keeps nothing). */
export const countLines = async (file: string): Promise<number> => {
  let count = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (text.trim() !== '') count++;
  return count;
};
