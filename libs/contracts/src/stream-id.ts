import { randomUUID } from 'node:crypto';
import { ValidationError } from './errors';

/** Stream ids are `<category>-<uuid>`; the category is the part before the first `-`, as EventStoreDB reads it. */
export type StreamId = string;

const CATEGORY = /^[a-z][a-zA-Z0-9]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export class InvalidStreamIdError extends ValidationError {
  override readonly code = 'invalid_stream_id';
  constructor(
    readonly streamId: unknown,
    reason: string,
  ) {
    super(`invalid stream id ${JSON.stringify(streamId)}: ${reason}`, [
      { path: 'streamId', constraints: { streamId: reason } },
    ]);
  }
}

export const isValidCategory = (category: string): boolean => CATEGORY.test(category);

/** Why `value` is not a stream id, or undefined when it is one. */
export const streamIdProblem = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return 'must be a string';
  const dash = value.indexOf('-');
  if (dash <= 0) return 'must be <category>-<uuid>';
  const category = value.slice(0, dash);
  if (!isValidCategory(category)) return `category "${category}" must be camelCase letters and digits`;
  const id = value.slice(dash + 1);
  if (!UUID.test(id)) return `"${id}" is not a UUID`;
  return undefined;
};

export const isValidStreamId = (value: unknown): value is StreamId => streamIdProblem(value) === undefined;

export const assertStreamId = (value: unknown): StreamId => {
  const problem = streamIdProblem(value);
  if (problem) throw new InvalidStreamIdError(value, problem);
  return value as StreamId;
};

/** `contact-<uuid>` for category `contact`; a new UUID unless one is given. */
export const streamId = (category: string, id: string = randomUUID()): StreamId =>
  assertStreamId(`${category}-${id.toLowerCase()}`);

export const categoryOf = (id: StreamId): string => {
  const dash = id.indexOf('-');
  return dash < 0 ? id : id.slice(0, dash);
};

export const entityIdOf = (id: StreamId): string => {
  const dash = id.indexOf('-');
  return dash < 0 ? '' : id.slice(dash + 1);
};

/** The stream categories of the design; services may add their own. */
export const StreamCategories = {
  contact: 'contact',
  account: 'account',
  lead: 'lead',
  deal: 'deal',
  order: 'order',
  campaign: 'campaign',
  case: 'case',
  activity: 'activity',
} as const;
