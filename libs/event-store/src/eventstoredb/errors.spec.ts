import {
  DeadlineExceededError,
  NO_STREAM,
  StreamDeletedError as EsdbStreamDeletedError,
  StreamNotFoundError as EsdbStreamNotFoundError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
} from '../port/errors';
import { isUnavailable, mapErrors, toPortError } from './errors';

const stream = 'contact-0b7e8f8e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

describe('EventStoreDB error mapping', () => {
  it('turns a wrong expected version into the port error, with the caller’s expected revision and a numeric actual one', () => {
    const error = new WrongExpectedVersionError(undefined, { streamName: stream, expected: 0n, current: 1n });
    const mapped = toPortError(error, { streamId: stream, expected: 0 });
    expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
    expect(mapped).toMatchObject({ streamId: stream, expected: 0, actual: 1, status: 409 });
    expect((mapped as Error).message).toContain(stream);
  });

  it('says -1 when the stream does not exist', () => {
    const error = new WrongExpectedVersionError(undefined, { streamName: stream, expected: 'stream_exists', current: NO_STREAM });
    expect(toPortError(error, { streamId: stream, expected: 'exists' })).toMatchObject({ expected: 'exists', actual: -1 });
  });

  it('reads the expected revision from the error when the call gave none', () => {
    const error = new WrongExpectedVersionError(undefined, { streamName: stream, expected: 'no_stream', current: 4n });
    expect(toPortError(error)).toMatchObject({ streamId: stream, expected: 'no_stream', actual: 4 });
  });

  it('maps a missing stream and a tombstoned stream', () => {
    expect(toPortError(new EsdbStreamNotFoundError(undefined, stream))).toEqual(new StreamNotFoundError(stream));
    const deleted = toPortError(EsdbStreamDeletedError.fromStreamName(stream));
    expect(deleted).toBeInstanceOf(StreamDeletedError);
    expect(deleted).toMatchObject({ streamId: stream, code: 'stream_deleted' });
  });

  it('maps connection failures to EventStoreUnavailableError (503) and keeps the cause', () => {
    for (const error of [
      new UnavailableError(undefined, '14 UNAVAILABLE: No connection established'),
      new DeadlineExceededError(undefined, '4 DEADLINE_EXCEEDED'),
      new Error('Failed to discover after 10 attempts.'),
    ]) {
      expect(isUnavailable(error)).toBe(true);
      const mapped = toPortError(error);
      expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
      expect(mapped).toMatchObject({ status: 503, cause: error });
    }
  });

  it('leaves other errors as they are', () => {
    const unknown = new UnknownError(undefined, 'something else');
    expect(toPortError(unknown)).toBe(unknown);
    const own = new StreamNotFoundError(stream);
    expect(toPortError(own)).toBe(own);
    expect(isUnavailable(new Error('boom'))).toBe(false);
  });

  it('rethrows mapped errors from a call', async () => {
    await expect(
      mapErrors(() => Promise.reject(new EsdbStreamNotFoundError(undefined, 'other')), { streamId: stream }),
    ).rejects.toEqual(new StreamNotFoundError(stream));
    await expect(mapErrors(() => Promise.resolve(3))).resolves.toBe(3);
  });
});
