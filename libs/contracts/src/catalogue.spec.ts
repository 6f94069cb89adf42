import { IsInt, IsString, Min, IsEmail } from 'class-validator';
import {
  defineEvent,
  EventCatalogue,
  EventValidationError,
  UnknownEventTypeError,
  UnknownSchemaVersionError,
} from './catalogue';
import { PersonalData } from './personal-data';
import type { RecordedEvent } from './envelope';

class ContactRegisteredV2 {
  @IsString() customerId!: string;
  @PersonalData() @IsString() fullName!: string;
  @PersonalData() @IsEmail() email!: string;
}

class OrderPlacedV1 {
  @IsString() orderId!: string;
  @IsInt() @Min(0) amountCents!: number;
}

const ContactRegistered = defineEvent({
  type: 'ContactRegistered',
  payload: ContactRegisteredV2,
  schemaVersion: 2,
  upcasters: [
    {
      fromVersion: 1,
      upcast: ({ firstName, lastName, ...rest }) => ({ ...rest, fullName: `${String(firstName)} ${String(lastName)}` }),
    },
  ],
});
const OrderPlaced = defineEvent({ type: 'OrderPlaced', payload: OrderPlacedV1 });

const recorded = (type: string, schemaVersion: number, data: Record<string, unknown>): RecordedEvent => ({
  id: '6f1c1f0e-3c1a-4a8e-9d7e-0d7f5b3c2a10',
  type,
  streamId: 'contact-6f1c1f0e-3c1a-4a8e-9d7e-0d7f5b3c2a11',
  revision: 0,
  position: 1n,
  data,
  metadata: { schemaVersion },
  recordedAt: new Date(0),
});

describe('EventCatalogue', () => {
  const catalogue = new EventCatalogue([ContactRegistered, OrderPlaced]);

  it('accepts a valid payload and stamps the current schema version', () => {
    const prepared = catalogue.prepare({
      type: 'ContactRegistered',
      data: { customerId: 'c1', fullName: 'Ada Lovelace', email: 'ada@example.com' },
    });
    expect(prepared.metadata.schemaVersion).toBe(2);
  });

  it('refuses an unknown type with a typed error', () => {
    expect(() => catalogue.validate('ContactTeleported', {})).toThrow(UnknownEventTypeError);
  });

  it('lists every violated field of an invalid payload', () => {
    try {
      catalogue.validate('OrderPlaced', { orderId: 7, amountCents: -1, extra: true });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(EventValidationError);
      const paths = (error as EventValidationError).violations.map((v) => v.path).sort();
      expect(paths).toEqual(['amountCents', 'extra', 'orderId']);
      expect((error as EventValidationError).status).toBe(400);
    }
  });

  it('refuses a payload that is not an object', () => {
    expect(() => catalogue.validate('OrderPlaced', [1, 2])).toThrow(EventValidationError);
    expect(() => catalogue.validate('OrderPlaced', null)).toThrow(EventValidationError);
  });

  it('upcasts an older version on read', () => {
    const upcast = catalogue.upcast(recorded('ContactRegistered', 1, { customerId: 'c1', firstName: 'Ada', lastName: 'Lovelace', email: 'a@b.co' }));
    expect(upcast.data).toEqual({ customerId: 'c1', fullName: 'Ada Lovelace', email: 'a@b.co' });
    expect(upcast.metadata.schemaVersion).toBe(2);
  });

  it('passes unknown types through and refuses versions from the future', () => {
    const foreign = recorded('SomethingElse', 9, { a: 1 });
    expect(catalogue.upcast(foreign)).toBe(foreign);
    expect(() => catalogue.upcast(recorded('OrderPlaced', 2, {}))).toThrow(UnknownSchemaVersionError);
  });

  it('knows which fields hold personal data', () => {
    expect(catalogue.personalFields('ContactRegistered')).toEqual(['fullName', 'email']);
    expect(catalogue.personalFields('OrderPlaced')).toEqual([]);
  });

  it('refuses definitions that cannot upcast every older version', () => {
    expect(() => defineEvent({ type: 'DealWon', payload: OrderPlacedV1, schemaVersion: 3, upcasters: [] })).toThrow(/upcaster from version 1/);
    expect(() => defineEvent({ type: 'dealWon', payload: OrderPlacedV1 })).toThrow(/PascalCase/);
  });

  it('refuses the same type registered twice', () => {
    const again = defineEvent({ type: 'OrderPlaced', payload: OrderPlacedV1 });
    expect(() => catalogue.register(again)).toThrow(/registered twice/);
  });
});
