import { logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import { ProduceFailedError, ProducerThread, ProducerThreadError } from './producer-thread';
import { SendOutOfTurnError } from './send-order';

/** A thread speaking the producer thread's protocol without a broker: topic `die` ends it, `fail` fails the send. */
const fakeThread = `
const { parentPort } = require('node:worker_threads');
let connected = false;
parentPort.on('message', (request) => {
  if (request.kind === 'disconnect') return parentPort.postMessage({ kind: 'disconnected' });
  if (request.kind === 'connect') return (connected = true), parentPort.postMessage({ kind: 'sent', id: request.id });
  const topic = request.topicMessages[0].topic;
  if (topic === 'die') process.exit(3);
  if (topic === 'fail') return parentPort.postMessage({ kind: 'failed', id: request.id, error: { name: 'KafkaJSConnectionError', message: 'broker away' } });
  parentPort.postMessage({ kind: 'log', entry: { namespace: 'Producer', level: 1, label: 'ERROR', log: { message: 'sent to ' + topic + (connected ? ' (connected before)' : ''), timestamp: 'now' } } });
  parentPort.postMessage({ kind: 'sent', id: request.id });
});
parentPort.postMessage({ kind: 'ready' });
`;

const batch = (topic: string) => [{ topic, messages: [{ key: 'k', value: 'v', headers: { id: '1' } }] }];

/** Runs `work` with a fake thread whose log says each send it made (`said()`), and stops the thread after. */
const withFakeThread = async (work: (thread: ProducerThread, said: () => string[]) => Promise<void>, config: KafkaConfig = { brokers: ['127.0.0.1:1'] }) => {
  const entries: LogEntry[] = [];
  const thread = new ProducerThread({ ...config, logCreator: () => (entry) => entries.push(entry) }, fakeThread);
  try {
    await work(thread, () => entries.map((entry) => entry.log.message));
  } finally {
    await thread.stop();
  }
};

describe('ProducerThread', () => {
  it('answers each send in its order, and hands the thread log entries to the configured logCreator', () =>
    withFakeThread(
      async (thread, said) => {
        await Promise.all([thread.send(batch('a')), thread.send(batch('b'))]);
        expect(said()).toEqual(['sent to a', 'sent to b']);
      },
      { brokers: ['127.0.0.1:1'], logLevel: logLevel.ERROR },
    ));

  it('connects ahead of the first send, in the thread the sends then use', () =>
    withFakeThread(async (thread, said) => {
      await thread.connect();
      await thread.send(batch('a'));
      expect(said()).toEqual(['sent to a (connected before)']);
    }));

  it("gives kafkajs's error name and message as a typed error", () =>
    withFakeThread(async (thread) => {
      const failure = await thread.send(batch('fail')).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProduceFailedError);
      expect(failure).toMatchObject({ kafkaErrorName: 'KafkaJSConnectionError', message: 'KafkaJSConnectionError: broker away' });
    }));

  it('fails what was in flight when the thread dies; the next send is refused until a resume, which starts another thread', () =>
    withFakeThread(async (thread, said) => {
      const inFlight = thread.send(batch('die'));
      await expect(inFlight).rejects.toThrow(ProducerThreadError);
      await expect(inFlight).rejects.toThrow(/exited \(code 3\)/);
      await expect(thread.send(batch('b'))).rejects.toThrow(SendOutOfTurnError);
      await expect(thread.send(batch('a'), 'resume')).resolves.toBeUndefined();
      await expect(thread.send(batch('b'))).resolves.toBeUndefined();
      expect(said()).toEqual(['sent to a', 'sent to b']);
    }));

  it('after a failed send, refuses the sends given behind it, unsent, until a resume', () =>
    withFakeThread(async (thread, said) => {
      await expect(thread.send(batch('fail'))).rejects.toThrow(ProduceFailedError);
      await expect(thread.send(batch('b'))).rejects.toThrow(SendOutOfTurnError);
      await thread.send(batch('a'), 'resume');
      await thread.send(batch('b'));
      expect(said()).toEqual(['sent to a', 'sent to b']);
    }));

  it('refuses a configuration with a function it cannot give the thread, with a typed error', async () => {
    const thread = new ProducerThread({ brokers: ['127.0.0.1:1'], retry: { restartOnFailure: async () => true } }, fakeThread);
    await expect(thread.send(batch('a'))).rejects.toThrow(ProducerThreadError);
    await thread.stop();
  });

  it('with its real code and the broker away: a send given behind one that fails is refused, not sent', async () => {
    const thread = new ProducerThread({ clientId: 'away', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, connectionTimeout: 500 });
    try {
      // Both given at once: the second waits in the thread while the first tries (kafkajs's retries, a few seconds).
      const [first, second] = await Promise.all([thread.send(batch('t')), thread.send(batch('t'))].map((send) => send.catch((error: unknown) => error)));
      expect(first).toBeInstanceOf(ProduceFailedError);
      expect(second).toBeInstanceOf(SendOutOfTurnError);
    } finally {
      await thread.stop();
    }
  }, 30_000);

  it('with its real code and the broker away: a stop ends the thread and fails the connect in flight with a typed error', async () => {
    // Port 1 refuses at once; kafkajs would retry the connect for seconds (five times, backing off up to 2 s).
    const thread = new ProducerThread({ clientId: 'away', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, connectionTimeout: 500 });
    const connecting = thread.connect().catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the thread is up and retrying
    await thread.stop();
    // Failed by the stop (the thread does not wait for kafkajs's retries to give up).
    const failure = await connecting;
    expect(failure).toBeInstanceOf(ProducerThreadError);
    expect(failure).toMatchObject({ message: 'the relay stopped' });
  }, 20_000);
});
