import { join } from 'node:path';
import { CdnowConverter, parseIngestMessage } from '@clientela/contracts';
import { readIngestFile } from './ingest-file';

const SAMPLE = join(__dirname, '..', '..', '..', '..', 'datasets', 'cdnow', 'cdnow_sample.txt');

describe('CDNOW lines as ingest messages', () => {
  it('turns a purchase into an OrderPlaced of the ingest contract, the CDNOW id as external id', () => {
    const message = new CdnowConverter().convert(' 00004 0001 19970118  2   29.73');
    expect(parseIngestMessage(message)).toEqual({
      id: '00004-1997-01-18-1',
      type: 'OrderPlaced',
      occurredAt: '1997-01-18T00:00:00Z',
      source: 'cdnow',
      customer: { externalId: '00004' },
      data: { orderId: '00004-1997-01-18-1', lines: [{ sku: 'CD', quantity: 2, unitPrice: 14.865 }], amount: 29.73, currency: 'USD' },
    });
  });

  it('reads the master file (a header, four columns) as the sample (five), and numbers purchases of the same day', () => {
    const converter = new CdnowConverter();
    expect(converter.convert(' customer_id  date number_of_cds  dollar_value')).toBeUndefined();
    const ids = [' 00001 19970101  1   11.77', ' 00001 19970101  0   0.00', ' 00001 19970102  1   5.00', ' 00002 19970102  1   5.00'].map(
      (line) => (converter.convert(line) as { id: string; data: { lines: { quantity: number }[] } }).id,
    );
    expect(ids).toEqual(['00001-1997-01-01-1', '00001-1997-01-01-2', '00001-1997-01-02-1', '00002-1997-01-02-1']);
  });

  it('refuses a line that is not CDNOW, saying which', () => {
    expect(() => new CdnowConverter().convert('00001 1997-01-01 1 2')).toThrow(/not a CDNOW line .*"00001 1997-01-01 1 2"/);
  });

  it('gives every purchase of datasets/cdnow/cdnow_sample.txt a valid message with an id of its own', async () => {
    const ids = new Set<string>();
    let lines = 0;
    for await (const item of readIngestFile(SAMPLE, 'cdnow')) {
      lines++;
      if ('error' in item) throw new Error(`line ${item.line}: ${item.error}`);
      ids.add(parseIngestMessage(item.message).id);
    }
    expect({ lines, ids: ids.size }).toEqual({ lines: 6_919, ids: 6_919 });
  });
});
