import { getMetadataStorage } from 'class-validator';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import * as contracts from './index';
import { personalFieldsOf } from './personal-data';

// class-transformer's own registry of @Type() (its typings ship apart from the CommonJS file).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

type PayloadClass = abstract new (...args: never[]) => object;
const isDefinition = (value: unknown): value is { type: string; payload: PayloadClass } =>
  typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' && typeof (value as { payload?: unknown }).payload === 'function';

/** Every event type the catalogue declares, by its exported definitions. */
const definitions = [...new Map(Object.values(contracts as Record<string, unknown>).flatMap((value) => (Array.isArray(value) ? (value as unknown[]) : [value])).filter(isDefinition).map((d) => [d.type, d])).values()];

/** The fields of a payload class that hold an object of another class (`@Type`), with that class. */
const nestedFieldsOf = (payload: PayloadClass): Array<{ field: string; nested: PayloadClass }> => {
  const fields = new Set(getMetadataStorage().getTargetValidationMetadatas(payload as unknown as new () => object, '', true, false).map((m) => m.propertyName));
  return [...fields].flatMap((field) => {
    const nested = defaultMetadataStorage.findTypeMetadata(payload, field)?.typeFunction() as PayloadClass | undefined;
    return nested ? [{ field, nested }] : [];
  });
};

/** Fields that hold a class with personal fields but are about a company, not a person: an account's address (PostalAddress marks its street lines personal for people's addresses). */
const ABOUT_A_COMPANY = new Set(['AccountRegistered.address', 'AccountProfileChanged.address']);

describe('personal fields in the catalogue', () => {
  it('finds the catalogue', () => {
    expect(definitions.map((d) => d.type)).toEqual(expect.arrayContaining(['ContactRegistered', 'ContactMerged', 'ContactErased', 'DealLost', 'CustomerOrderRefunded']));
  });

  // Sealing reads an event's top-level personal fields: an object whose class holds personal fields is sealed only when its own field is marked.
  it('marks every field holding an object with personal fields as personal itself', () => {
    const unmarked = definitions.flatMap(({ type, payload }) =>
      nestedFieldsOf(payload)
        .filter(({ field, nested }) => personalFieldsOf(nested).length > 0 && !personalFieldsOf(payload).includes(field))
        .map(({ field }) => `${type}.${field}`)
        .filter((name) => !ABOUT_A_COMPANY.has(name)),
    );
    expect(unmarked).toEqual([]);
  });
});
