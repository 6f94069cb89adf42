import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PreconditionFailedError, streamId, type ContactEvent, type RecordedEvent, type StreamId } from '@clientela/contracts';
import { eventIdFromKey, StreamNotFoundError, WrongExpectedRevisionError, type EventStore } from '@clientela/event-store';
import { EVENT_STORE, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { mergeDecider, type MergeCommand } from './merge.decider';

/** A merge or unmerge on its way to the decider, with the request's metadata and preconditions. */
export class ExecuteMergeCommand {
  constructor(
    readonly command: MergeCommand,
    readonly write: WriteRequest,
  ) {}
}

/** Lost races (either contact written meanwhile) are decided again, this many times in all. */
const MAX_ATTEMPTS = 3;

/**
 * What `Aggregates.handle` does for one stream, for the two streams of a merge: load both, decide,
 * and append to both in one atomic `appendToStreams` with each stream's expected revision, so a
 * contact changed or merged elsewhere meanwhile makes the merge decide again rather than act on a
 * stale view. The answer is the survivor's revision and the position of the whole write.
 * If-Match is the survivor's revision.
 */
@CommandHandler(ExecuteMergeCommand)
export class ExecuteMergeCommandHandler implements ICommandHandler<ExecuteMergeCommand, WriteResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ command, write }: ExecuteMergeCommand): Promise<WriteResult> {
    const { survivorId, mergedId } = command.data;
    const survivorStream = streamId('contact', survivorId);
    const key = write.idempotencyKey;
    for (let attempt = 1; ; attempt++) {
      const streams = new Map<string, RecordedEvent[]>();
      for (const id of new Set([mergedId, survivorId])) streams.set(id, await this.read(streamId('contact', id)));
      const survivorEvents = streams.get(survivorId) ?? [];
      const survivorRevision = survivorEvents[survivorEvents.length - 1]?.revision ?? -1;

      if (key !== undefined) {
        // The first answer of a retried request: its events are in the survivor's stream too.
        const replayed = survivorEvents.find((e) => e.id === eventIdFromKey(key, 1));
        if (replayed) return { id: survivorId, revision: replayed.revision, position: replayed.position, replayed: true };
      }
      if (write.expectedRevision !== undefined && write.expectedRevision !== survivorRevision) {
        throw new PreconditionFailedError(`${survivorStream} is at revision ${survivorRevision}, not ${write.expectedRevision} (If-Match); read it again`, write.expectedRevision, survivorRevision);
      }

      const state = [...streams.values()].flat().reduce((s, e) => mergeDecider.evolve(s, e as unknown as ContactEvent), mergeDecider.initialState());
      const decided = mergeDecider.decide(command, state);
      if (decided.length === 0) {
        const last = survivorEvents[survivorEvents.length - 1];
        return { id: survivorId, revision: survivorRevision, position: last.position, replayed: false };
      }
      const byStream = new Map<StreamId, { streamId: StreamId; expectedRevision: number; events: Array<{ id: string; type: string; data: Record<string, unknown>; metadata: WriteRequest['metadata'] }> }>();
      decided.forEach((event, index) => {
        const id = event.data.contactId;
        const events = streams.get(id) ?? [];
        const target = streamId('contact', id);
        const append = byStream.get(target) ?? { streamId: target, expectedRevision: events[events.length - 1]?.revision ?? -1, events: [] };
        append.events.push({ id: key !== undefined ? eventIdFromKey(key, index) : randomUUID(), type: event.type, data: event.data as unknown as Record<string, unknown>, metadata: write.metadata });
        byStream.set(target, append);
      });
      try {
        const result = await this.store.appendToStreams([...byStream.values()]);
        const survivor = result.streams.find((s) => s.streamId === survivorStream);
        return { id: survivorId, revision: survivor?.nextRevision ?? survivorRevision, position: result.position, replayed: false };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  private async read(stream: StreamId): Promise<RecordedEvent[]> {
    try {
      return await this.store.readStream(stream);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }
}
