import { splitBySize } from './relay';

const message = (key: string, bytes: number) => ({ key, value: 'v'.repeat(bytes), headers: {} });

describe('splitBySize', () => {
  it('cuts a page into batches under the limit, keeping each topic in order; a message over it goes alone', () => {
    const page = [
      { topic: 'a', messages: [message('1', 400), message('2', 400), message('3', 2_000), message('4', 100)] },
      { topic: 'b', messages: [message('5', 100)] },
    ];
    const batches = splitBySize(page, 1_000);
    expect(batches.map((batch) => batch.map(({ topic, messages }) => `${topic}:${messages.map((m) => m.key).join(',')}`))).toEqual([
      ['a:1,2'],
      ['a:3'],
      ['a:4', 'b:5'],
    ]);
  });

  it('keeps a page that fits as one batch', () => {
    expect(splitBySize([{ topic: 'a', messages: [message('1', 10)] }], 1_000)).toHaveLength(1);
  });
});
