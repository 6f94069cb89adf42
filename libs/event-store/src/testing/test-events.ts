import { randomBytes, randomUUID } from 'node:crypto';
import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { defineEvent, EventCatalogue, streamId } from '@clientela/contracts';

/** Payloads used by the contract suite. Version 1 of ThingNamed had a single `label`. */
export class ThingCounted {
  @IsInt() @Min(0) n!: number;
  @IsOptional() @IsString() note?: string;
}
export class ThingNamedV2 {
  @IsString() firstName!: string;
  @IsString() lastName!: string;
}
export class ThingNamedV1 {
  @IsString() label!: string;
}

export const ThingCountedEvent = defineEvent({ type: 'ThingCounted', payload: ThingCounted });
export const ThingNamedV1Event = defineEvent({ type: 'ThingNamed', payload: ThingNamedV1 });
export const ThingNamedEvent = defineEvent({
  type: 'ThingNamed',
  payload: ThingNamedV2,
  schemaVersion: 2,
  upcasters: [
    {
      fromVersion: 1,
      upcast: ({ label }) => {
        const [firstName = '', ...rest] = String(label).split(' ');
        return { firstName, lastName: rest.join(' ') };
      },
    },
  ],
});

/** The catalogue of today. */
export const testCatalogue = (): EventCatalogue => new EventCatalogue([ThingCountedEvent, ThingNamedEvent]);
/** The catalogue of an older release, to write version-1 events. */
export const legacyTestCatalogue = (): EventCatalogue => new EventCatalogue([ThingCountedEvent, ThingNamedV1Event]);

/** A category no other test uses, so tests can share one store. */
export const uniqueCategory = (): string => `thing${randomBytes(5).toString('hex')}`;
export const newStream = (category: string): string => streamId(category, randomUUID());

export const counted = (n: number, id?: string) => ({ ...(id ? { id } : {}), type: 'ThingCounted', data: { n } });
