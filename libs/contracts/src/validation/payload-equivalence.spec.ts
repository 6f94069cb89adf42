import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import type { MetadataStorage as TransformerStorage } from 'class-transformer/types/MetadataStorage';
import { getMetadataStorage, validateSync, ValidationTypes } from 'class-validator';
import fc from 'fast-check';
import * as contracts from '../index';
import { findUnstorableJson, IngestEnvelope, IngestPayloads, parseIngestMessage, type EventDefinition } from '../index';
import { compiledCheckOf } from './compiled-validation';
import { payloadViolations, toFieldViolations } from './payload-validation';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerStorage };

type Class = new () => object;
const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true } as const;

/** What class-validator itself says: the oracle. */
const classValidatorErrors = (cls: Class, value: object) => validateSync(plainToInstance(cls, value), OPTIONS);

/** The oracle's answer, or the error one of its rules threw (maxDecimalPlaces on 1e-7). */
const oracle = (cls: Class, value: object) => {
  try {
    return { errors: classValidatorErrors(cls, value) };
  } catch (error) {
    return { threw: error };
  }
};

const isDefinition = (value: unknown): value is EventDefinition =>
  typeof value === 'object' && value !== null && 'payload' in value && 'schemaVersion' in value && 'upcasters' in value;

/** Every payload class of every catalogue in libs/contracts, the ingest envelope and payloads, and the classes they nest. */
const payloadClasses = (): Map<string, Class> => {
  const found = new Map<string, Class>();
  const add = (cls: Class) => {
    if (found.has(cls.name) && found.get(cls.name) !== cls) throw new Error(`two payload classes are named ${cls.name}`);
    found.set(cls.name, cls);
  };
  for (const exported of Object.values(contracts)) {
    for (const item of Array.isArray(exported) ? (exported as unknown[]) : [exported]) if (isDefinition(item)) add(item.payload as Class);
  }
  add(IngestEnvelope);
  for (const cls of Object.values(IngestPayloads)) add(cls as Class);
  for (const cls of [...found.values()]) for (const nested of nestedClassesOf(cls)) add(nested);
  return found;
};

interface RuleModel {
  name: string;
  constraints: unknown[];
  each: boolean;
}
interface PropertyModel {
  name: string;
  optional: boolean;
  rules: RuleModel[];
  nested?: Class;
}

/** The test's own reading of the decorators, only to generate inputs (the oracle is class-validator). */
const modelOf = (cls: Class): PropertyModel[] => {
  const storage = getMetadataStorage();
  const grouped = storage.groupByPropertyName(storage.getTargetValidationMetadatas(cls, undefined as unknown as string, false, false, undefined as unknown as string[]));
  return Object.entries(grouped).map(([name, metadatas]) => {
    const rules: RuleModel[] = [];
    for (const metadata of metadatas) {
      if (metadata.type !== ValidationTypes.CUSTOM_VALIDATION) continue;
      for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
        rules.push({ name: constraint.name, constraints: metadata.constraints ?? [], each: Boolean(metadata.each) });
      }
    }
    const hasNested = metadatas.some((m) => m.type === ValidationTypes.NESTED_VALIDATION);
    const nested = hasNested ? (defaultMetadataStorage.findTypeMetadata(cls, name)?.typeFunction() as Class | undefined) : undefined;
    return { name, optional: metadatas.some((m) => m.name === 'isOptional'), rules, nested };
  });
};

function nestedClassesOf(cls: Class): Class[] {
  return modelOf(cls).flatMap((p) => (p.nested ? [p.nested, ...nestedClassesOf(p.nested)] : []));
}

const ruleOf = (property: PropertyModel, name: string, each?: boolean): RuleModel | undefined =>
  property.rules.find((r) => r.name === name && (each === undefined || r.each === each));
const numberOf = (property: PropertyModel, name: string, each?: boolean): number | undefined => ruleOf(property, name, each)?.constraints[0] as number | undefined;

/** Values that break some rule: wrong types, empties, placeholders, bad formats. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, '', ' ', 0, -1, 1.5, -0, true, false, 'null', 'not-a-uuid', '00000000-0000-0000-0000-00000000000g', '2024-13-45', '2024-02-30T10:00:00Z', '20240501', 'usd', 'XXX', 'US', 'EURO', 'ftp://x', 'http//x', 'a@', '@b.org', '1.23456', '-1', '1e3', '١٢', [], {}, [null], [[]], [{}], { a: 1 }, 'x'.repeat(10_001)),
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 5 }),
  fc.double(),
);

/** Strings around the bounds a property's length rules set (both sides of each bound). */
const boundedString = (property: PropertyModel, each: boolean): fc.Arbitrary<string> => {
  const length = ruleOf(property, 'isLength', each)?.constraints as [number, number | undefined] | undefined;
  const min = length?.[0] ?? numberOf(property, 'minLength', each) ?? 0;
  const max = length?.[1] ?? numberOf(property, 'maxLength', each) ?? 300;
  const at = (n: number) => fc.string({ minLength: Math.max(0, n), maxLength: Math.max(0, n) });
  return fc.oneof(
    { weight: 12, arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, min + 40) }) },
    { weight: 1, arbitrary: fc.oneof(at(min), at(max), at(max + 1), at(min - 1), fc.string({ unit: 'binary', minLength: min, maxLength: Math.min(max, min + 10) })) },
  );
};

const ISO_DATES = fc.oneof(
  fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom('2024-05-01T10:00:00+02:00', '2024-05-01T10:00:00.123456Z', '2024-05-01T10:00', '2024-W18-3', '2024-122', '2024-05-01 10:00:00Z'),
);

const INT32 = 2 ** 31 - 1;

/** Mostly values the rule accepts, sometimes ones at or past its edges. */
const mix = (good: fc.Arbitrary<unknown>, edge: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 8, arbitrary: good }, { weight: 1, arbitrary: edge });

/** Strings a pattern matches; domain names for the one pattern with a lookahead fast-check cannot generate from. */
const stringsMatching = (pattern: RegExp): fc.Arbitrary<string> => {
  try {
    return fc.stringMatching(pattern, { size: 'small' });
  } catch {
    return fc.oneof(fc.domain(), fc.domain().map((domain) => domain.toUpperCase()));
  }
};

/** Values a single rule (or its `each`) would mostly accept; the property's other rules may still refuse them. */
const validScalar = (property: PropertyModel, each: boolean): fc.Arbitrary<unknown> => {
  const rule = (name: string) => ruleOf(property, name, each);
  const isIn = rule('isIn');
  if (isIn) return fc.constantFrom(...(isIn.constraints[0] as unknown[]));
  const matches = rule('matches');
  const pattern = matches?.constraints[0] as RegExp | undefined;
  if (rule('isIso8601')) return pattern ? mix(ISO_DATES.filter((text) => pattern.test(text)), ISO_DATES) : ISO_DATES;
  if (pattern) return mix(stringsMatching(pattern), boundedString(property, each));
  if (rule('isUuid')) return fc.oneof({ weight: 4, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) }, { weight: 1, arbitrary: fc.uuid({ version: 7 }) });
  if (rule('isEmail')) return fc.oneof({ weight: 4, arbitrary: fc.emailAddress() }, { weight: 1, arbitrary: fc.constantFrom('ADA@Mail.org', 'a.b+c@sub.example.com', 'a@localhost') });
  if (rule('isUrl')) return fc.oneof({ weight: 4, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) }, { weight: 1, arbitrary: fc.constantFrom('http://localhost:3000/a', 'https://x', 'example.com/a', 'mailto:a@b.c') });
  if (rule('isISO4217CurrencyCode')) return fc.constantFrom('USD', 'EUR', 'GBP', 'JPY', 'CHF', 'XAU', 'usd');
  if (rule('isBoolean')) return fc.boolean();
  if (rule('isISO31661Alpha2')) return mix(fc.constantFrom('US', 'DE', 'FR', 'GB', 'JP'), fc.constantFrom('us', 'XX', 'USA'));
  if (rule('isLatitude')) return mix(fc.integer({ min: -900_000, max: 900_000 }).map((n) => n / 10_000), fc.constantFrom(-90.0001, 90.0001, '45.5', 181, 1e-7));
  if (rule('isLongitude')) return mix(fc.integer({ min: -1_800_000, max: 1_800_000 }).map((n) => n / 10_000), fc.constantFrom(-180.0001, 180.0001, '45.5', 'x'));
  const min = numberOf(property, 'min', each) ?? -1_000_000;
  const max = numberOf(property, 'max', each) ?? 1_000_000;
  if (rule('isInt')) return mix(fc.integer({ min, max }), fc.constantFrom(min - 1, max + 1, min + 0.5));
  if (rule('isNumber')) {
    const places = (rule('isNumber')?.constraints[0] as { maxDecimalPlaces?: number } | undefined)?.maxDecimalPlaces ?? 2;
    return fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: Math.max(-INT32, Math.ceil(min * 10 ** places)), max: Math.min(INT32, Math.floor(max * 10 ** places)) }).map((n) => n / 10 ** places) },
      // 1e-7 is written with an exponent: class-validator's maxDecimalPlaces throws on it.
      { weight: 1, arbitrary: fc.constantFrom(min - 1, max + 1, 0.123456, Number.NaN, Infinity, 1e-7) },
    );
  }
  if (rule('isString')) return boundedString(property, each);
  if (rule('isObject')) return fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
  return junk;
};

const MISSING = Symbol('missing');

/** Inputs for a class: `valid` mostly follows the rules; otherwise fields go missing, get junk, or extra fields appear. */
const objectOf = (cls: Class, depth: number, valid: boolean): fc.Arbitrary<Record<string, unknown>> => {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const property of modelOf(cls)) {
    let value: fc.Arbitrary<unknown>;
    const minItems = numberOf(property, 'arrayMinSize') ?? 0;
    const maxItems = Math.min(numberOf(property, 'arrayMaxSize') ?? 4, minItems + 4);
    if (property.nested) {
      const item = depth > 0 ? fc.oneof({ weight: 5, arbitrary: objectOf(property.nested, depth - 1, valid) }, { weight: valid ? 0 : 1, arbitrary: junk }) : fc.constant({});
      value = ruleOf(property, 'isArray') || property.rules.length === 0 ? fc.array(item, { minLength: minItems, maxLength: maxItems }) : item;
    } else if (ruleOf(property, 'isArray')) {
      value = fc.array(validScalar(property, true), { minLength: minItems, maxLength: maxItems });
    } else {
      value = validScalar(property, false);
    }
    const missing = property.optional || !valid ? 1 : 0;
    fields[property.name] = fc.oneof(
      { weight: 12, arbitrary: value },
      { weight: valid ? 0 : 2, arbitrary: junk },
      { weight: missing, arbitrary: fc.constant(MISSING) },
      { weight: property.optional ? 1 : 0, arbitrary: fc.constant(null) },
    );
  }
  const extra = valid ? fc.constant({}) : fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('extra', 'id', 'type', 'Customer', 'data', ''), junk, { maxKeys: 2 }) });
  return fc.tuple(fc.record(fields), extra).map(([record, extras]) => {
    const object: Record<string, unknown> = { ...extras };
    for (const [key, value] of Object.entries(record)) if (value !== MISSING) object[key] = value;
    return object;
  });
};

const inputsOf = (cls: Class): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof({ weight: 3, arbitrary: objectOf(cls, 2, true) }, { weight: 2, arbitrary: objectOf(cls, 2, false) });

/** Whether an own property named `__proto__` is anywhere in the value. */
const hasOwnProtoKey = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && (Object.prototype.hasOwnProperty.call(value, '__proto__') || Object.values(value).some(hasOwnProtoKey));

const CLASSES = [...payloadClasses()].sort(([a], [b]) => a.localeCompare(b));

describe('the compiled check accepts exactly what class-validator accepts', () => {
  it('covers every payload class of the catalogues and the ingest contract', () => {
    expect(CLASSES.length).toBeGreaterThanOrEqual(50);
    expect(CLASSES.map(([name]) => name)).toEqual(expect.arrayContaining(['IngestEnvelope', 'IngestCustomer', 'IngestOrderLine', 'CustomerOrderLine']));
  });

  it.each(CLASSES)('%s', (_name, cls) => {
    const seen = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(inputsOf(cls), (input) => {
        const { errors } = oracle(cls, input);
        if (!errors) {
          // Not a crash any more: a violation of the payload as a whole.
          expect(payloadViolations(cls, input, { prefix: 'data' })).toEqual([{ path: 'data', constraints: { checkable: expect.stringContaining('could not be checked') } }]);
          return;
        }
        seen[errors.length === 0 ? 'valid' : 'invalid']++;
        // An own `__proto__` key (JSON.parse makes one) is dropped by class-transformer's copy, so
        // class-validator never sees it and may call the object valid; the compiled check may count it
        // as an unknown field and leave the object to class-validator, whose answer callers get (below).
        // Either answer is sound there; anywhere else the two must agree.
        const compiled = compiledCheckOf(cls)(input);
        if (!(errors.length === 0 && hasOwnProtoKey(input))) expect(compiled).toBe(errors.length === 0);
        // And what callers get is class-validator's own wording, violation for violation.
        expect(payloadViolations(cls, input, { prefix: 'data' })).toEqual(toFieldViolations(errors, 'data'));
      }),
      { numRuns: 300 },
    );
    // Both sides were exercised, or the comparison above proves little.
    expect(seen.valid).toBeGreaterThan(20);
    expect(seen.invalid).toBeGreaterThan(20);
  });
});

describe('inputs the compiled check leaves to class-validator', () => {
  const cls = IngestPayloads.OrderPlaced as Class;
  const valid = { orderId: 'o-1', lines: [{ sku: 'cd', quantity: 1, unitPrice: 9.5 }], amount: 9.5, currency: 'USD' };

  it.each([
    ['an own __proto__ key', JSON.parse('{"__proto__": {"x": 1}}') as object],
    ['a constructor key', { constructor: 'x' }],
    ['a toString key', { toString: 'x' }],
    ['a then key', { then: 'x' }],
  ])('%s: never accepted by the check, decided by class-validator', (_name, extra) => {
    const input = Object.assign(Object.create(Object.prototype) as object, valid, extra) as Record<string, unknown>;
    if ('__proto__' in (extra as Record<string, unknown>)) Object.defineProperty(input, '__proto__', { value: { x: 1 }, enumerable: true });
    expect(compiledCheckOf(cls)(input)).toBe(false);
    expect(payloadViolations(cls, input)).toEqual(toFieldViolations(classValidatorErrors(cls, input)));
  });

  it('keeps class-validator\'s answer for keys class-transformer drops or calls', () => {
    fc.assert(
      fc.property(inputsOf(cls), fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', 'then'), junk, (input, key, value) => {
        const withKey = { ...input, [key]: value };
        const { errors } = oracle(cls, withKey);
        fc.pre(errors !== undefined);
        if (compiledCheckOf(cls)(withKey)) expect(errors).toEqual([]);
        expect(payloadViolations(cls, withKey)).toEqual(toFieldViolations(errors));
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseIngestMessage', () => {
  /** The contract's parse as it was, on class-transformer's copy: the oracle for the whole message. */
  const before = (json: Record<string, unknown>) => {
    const envelope = plainToInstance(IngestEnvelope, json);
    const violations = toFieldViolations(validateSync(envelope, OPTIONS));
    if (violations.length === 0) {
      const { externalId, email, phone } = envelope.customer;
      if (!externalId && !email && !phone) violations.push({ path: 'customer', constraints: { identified: 'customer needs at least one of externalId, email, phone' } });
    }
    const payloadClass = Object.hasOwn(IngestPayloads, envelope.type) ? (IngestPayloads[envelope.type] as Class) : undefined;
    if (payloadClass && typeof envelope.data === 'object' && envelope.data !== null && !Array.isArray(envelope.data)) {
      violations.push(...toFieldViolations(validateSync(plainToInstance(payloadClass, envelope.data), OPTIONS), 'data'));
    }
    return violations;
  };
  const after = (json: Record<string, unknown>) => {
    try {
      parseIngestMessage(json);
      return [];
    } catch (error) {
      return (error as { violations: unknown[] }).violations;
    }
  };
  const messages = fc
    .tuple(objectOf(IngestEnvelope, 2, true), objectOf(IngestEnvelope, 2, false), fc.constantFrom(...Object.keys(IngestPayloads)), fc.boolean(), fc.boolean())
    .chain(([good, bad, type, validEnvelope, validData]) =>
      objectOf(IngestPayloads[type as keyof typeof IngestPayloads] as Class, 2, validData).map((data) => ({ ...(validEnvelope ? good : bad), type: validEnvelope ? type : (bad.type ?? type), data })),
    );

  it('refuses and accepts the same messages with the same violations as before', () => {
    const seen = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(messages, (message) => {
        // Since then, text PostgreSQL cannot store (U+0000, a lone surrogate) or an own `__proto__` key refuses the message by itself,
        // named, before anything else is checked: whatever the old parse said, or whether it threw.
        const unstorable = findUnstorableJson(message, '$', 32);
        const refusedAsUnstorable = unstorable?.rule === 'storableText' || unstorable?.rule === 'noProtoKey' ? [{ path: unstorable.path.slice(2), constraints: { [unstorable.rule]: unstorable.message } }] : undefined;
        let expected: unknown[];
        try {
          expected = before(message);
        } catch {
          // class-validator threw (maxDecimalPlaces on 1e-7): now a violation of the payload, not a crash.
          if (refusedAsUnstorable) expect(after(message)).toEqual(refusedAsUnstorable);
          else expect(after(message)).toContainEqual(expect.objectContaining({ path: 'data', constraints: { checkable: expect.stringContaining('could not be checked') } }));
          return;
        }
        seen[expected.length === 0 ? 'valid' : 'invalid']++;
        expect(after(message)).toEqual(refusedAsUnstorable ?? expected);
      }),
      { numRuns: 1_000 },
    );
    expect(seen.valid).toBeGreaterThan(50);
    expect(seen.invalid).toBeGreaterThan(50);
  });
});
