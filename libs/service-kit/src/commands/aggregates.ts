import { Inject, Injectable } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';
import { PreconditionFailedError, type Decider, type DomainEvent, type StreamId } from '@clientela/contracts';
import { AggregateRepository, WrongExpectedRevisionError, type EventStore, type LoadedAggregate } from '@clientela/event-store';
import { METRICS_REGISTRY } from '../http/http-metrics';
import type { WriteRequest, WriteResult } from './write-request';

export const EVENT_STORE = Symbol('clientela:event-store');

/**
 * The write path of every command handler: load the stream, decide, append with the expected
 * revision (retrying lost races), with the request's metadata, idempotency key and If-Match.
 */
@Injectable()
export class Aggregates {
  private readonly repository: AggregateRepository;
  private readonly commands: Counter<'command' | 'outcome'>;
  private readonly appended: Counter<'type'>;

  constructor(@Inject(EVENT_STORE) store: EventStore, @Inject(METRICS_REGISTRY) registry: Registry) {
    this.repository = new AggregateRepository(store);
    this.commands = new Counter({ name: 'clientela_commands_total', help: 'Commands handled, by outcome', labelNames: ['command', 'outcome'], registers: [registry] });
    this.appended = new Counter({ name: 'clientela_events_appended_total', help: 'Events appended by commands', labelNames: ['type'], registers: [registry] });
  }

  async handle<State, Command extends { type: string }, Event extends DomainEvent<string, Record<string, unknown>>>(
    streamId: StreamId,
    id: string,
    decider: Decider<State, Command, Event>,
    command: Command,
    write: WriteRequest,
  ): Promise<WriteResult & { state: State }> {
    try {
      const result = await this.repository.handle(streamId, decider, command, {
        metadata: write.metadata,
        ...(write.idempotencyKey !== undefined ? { idempotencyKey: write.idempotencyKey } : {}),
        ...(write.expectedRevision !== undefined ? { expectedRevision: write.expectedRevision } : {}),
      });
      this.commands.inc({ command: command.type, outcome: result.replayed ? 'replayed' : result.events.length === 0 ? 'unchanged' : 'appended' });
      if (!result.replayed) for (const event of result.events) this.appended.inc({ type: event.type });
      return { id, revision: result.nextRevision, position: result.position, replayed: result.replayed, state: result.state };
    } catch (error) {
      this.commands.inc({ command: command.type, outcome: 'refused' });
      if (error instanceof WrongExpectedRevisionError && write.expectedRevision !== undefined) {
        throw new PreconditionFailedError(
          `${streamId} is at revision ${error.actual}, not ${write.expectedRevision} (If-Match); read it again`,
          write.expectedRevision,
          Number(error.actual),
        );
      }
      throw error;
    }
  }

  load<State, Event extends DomainEvent>(streamId: StreamId, decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>): Promise<LoadedAggregate<State>> {
    return this.repository.load(streamId, decider);
  }
}
