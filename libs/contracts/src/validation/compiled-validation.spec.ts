import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  Validate,
  ValidateIf,
  ValidateNested,
  validateSync,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { compiledCheckOf } from './compiled-validation';
import { payloadViolations, toFieldViolations } from './payload-validation';

type Class = new () => object;
const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true } as const;
const classValidatorAccepts = (cls: Class, value: object) => validateSync(plainToInstance(cls, value), OPTIONS).length === 0;

class Line {
  @IsString() @MaxLength(5) sku!: string;
  @IsInt() @Min(1) quantity!: number;
}

class Order {
  @IsString() id!: string;
  @IsOptional() @IsIn(['web', 'shop']) channel?: string;
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => Line) lines!: Line[];
  @IsOptional() @IsString({ each: true }) tags?: string[];
  @IsOptional() @IsObject() extra?: Record<string, unknown>;
}

const order = (changes: Record<string, unknown> = {}) => ({ id: 'o1', lines: [{ sku: 'a', quantity: 1 }], ...changes });

describe('compiledCheckOf', () => {
  const check = compiledCheckOf(Order);

  it.each<[string, Record<string, unknown>]>([
    ['the smallest valid object', order()],
    ['optional fields present', order({ channel: 'web', tags: ['a', 'b'], extra: { any: [1, { deep: true }] } })],
    ['optional fields null', order({ channel: null, tags: null, extra: null })],
    ['optional fields undefined', order({ channel: undefined })],
    ['an undefined item of a nested array (class-validator skips it)', order({ lines: [{ sku: 'a', quantity: 1 }, undefined] })],
  ])('accepts %s, as class-validator does', (_name, input) => {
    expect(check(input)).toBe(true);
    expect(classValidatorAccepts(Order, input)).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a missing required field', { lines: [{ sku: 'a', quantity: 1 }] }],
    ['a field not in the class', order({ other: 1 })],
    ['a field at undefined that is not in the class', order({ other: undefined })],
    ['a value not in the list', order({ channel: 'mail' })],
    ['a nested field too long', order({ lines: [{ sku: 'abcdef', quantity: 1 }] })],
    ['a nested field not in the nested class', order({ lines: [{ sku: 'a', quantity: 1, price: 2 }] })],
    ['an empty array', order({ lines: [] })],
    ['a primitive where a nested object goes', order({ lines: ['a'] })],
    ['null inside a nested array', order({ lines: [null] })],
    ['a nested object where an array goes', order({ lines: { sku: 'a', quantity: 1 } })],
    ['an item of `each` of the wrong type', order({ tags: ['a', 1] })],
    ['an array where an object goes', order({ extra: [] })],
  ])('refuses %s, as class-validator does', (_name, input) => {
    expect(check(input)).toBe(false);
    expect(classValidatorAccepts(Order, input)).toBe(false);
  });

  it('leaves objects that are not plain to class-validator', () => {
    expect(check(Object.assign(new Order(), order()))).toBe(false);
    expect(check(order({ lines: [Object.assign(new Date(), { sku: 'a', quantity: 1 })] }))).toBe(false);
    const withHole: unknown[] = [{ sku: 'a', quantity: 1 }];
    withHole[2] = { sku: 'b', quantity: 1 };
    expect(check(order({ lines: withHole }))).toBe(false);
  });

  it('does not check ignored fields, nor refuse them as unknown', () => {
    const ignored = new Set(['lines', 'sealed']);
    expect(check({ id: 'o1', lines: 'sealed bytes', sealed: 1 }, ignored)).toBe(true);
    expect(check({ id: 2, lines: 'sealed bytes' }, ignored)).toBe(false);
  });

  it('follows a rule declared after the class was compiled', () => {
    class Late {
      @IsString() text!: string;
    }
    expect(compiledCheckOf(Late)({ text: 'far too long' })).toBe(true);
    MaxLength(3)(Late.prototype, 'text');
    expect(compiledCheckOf(Late)({ text: 'far too long' })).toBe(false);
    expect(compiledCheckOf(Late)({ text: 'ok' })).toBe(true);
  });

  it('compiles a class that nests itself', () => {
    class Node {
      @IsString() name!: string;
      @IsOptional() @ValidateNested({ each: true }) @Type(() => Node) children?: Node[];
    }
    expect(compiledCheckOf(Node)({ name: 'a', children: [{ name: 'b', children: [{ name: 'c' }] }] })).toBe(true);
    expect(compiledCheckOf(Node)({ name: 'a', children: [{ name: 'b', children: [{ name: 3 }] }] })).toBe(false);
  });
});

@ValidatorConstraint({ async: true })
class EventuallyTrue implements ValidatorConstraintInterface {
  validate(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

describe('classes with rules the check does not model: always left to class-validator', () => {
  class Transformed {
    @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)) @IsString() @MaxLength(2) code!: string;
  }
  class Conditional {
    @IsString() kind!: string;
    @ValidateIf((o: { kind: string }) => o.kind === 'b') @IsString() b?: string;
  }
  class WithDefault {
    @IsOptional() @IsString() label?: string = 'x';
  }
  class Untyped {
    @ValidateNested() inner!: object;
  }
  class Asynchronous {
    @Validate(EventuallyTrue) value!: string;
  }
  class NoRules {
    value?: string;
  }

  it.each<[string, Class, Record<string, unknown>]>([
    ['@Transform', Transformed, { code: ' ab ' }],
    ['@ValidateIf', Conditional, { kind: 'a', b: 1 }],
    ['a field with a default', WithDefault, {}],
    ['@ValidateNested without @Type', Untyped, { inner: {} }],
    ['an async rule', Asynchronous, { value: 'v' }],
    ['no rules at all', NoRules, { value: 'v' }],
  ])('%s', (_name, cls, input) => {
    expect(compiledCheckOf(cls)(input)).toBe(false);
    expect(payloadViolations(cls, input)).toEqual(toFieldViolations(validateSync(plainToInstance(cls, input), OPTIONS)));
  });

  it('still answers as class-validator for them (a trimmed code is valid)', () => {
    expect(payloadViolations(Transformed, { code: ' ab ' })).toEqual([]);
    expect(payloadViolations(Conditional, { kind: 'a', b: 1 })).toEqual([]);
  });
});

describe('payloadViolations', () => {
  it('words violations as class-validator does, with the prefix', () => {
    expect(payloadViolations(Order, order({ lines: [{ sku: 'abcdef', quantity: 0 }] }), { prefix: 'data' })).toEqual([
      { path: 'data.lines.0.sku', constraints: { maxLength: 'sku must be shorter than or equal to 5 characters' } },
      { path: 'data.lines.0.quantity', constraints: { min: 'quantity must not be less than 1' } },
    ]);
  });

  it('drops violations of ignored fields only', () => {
    expect(payloadViolations(Order, { id: 1, lines: 'x', other: 2 }, { ignoredFields: new Set(['lines', 'other']) })).toEqual([
      { path: 'id', constraints: { isString: 'id must be a string' } },
    ]);
  });

  it('makes a rule that throws on odd input a violation, not a crash', () => {
    // class-validator's maxDecimalPlaces reads the decimals of String(1e-7), "1e-7", and throws.
    class Priced {
      @IsNumber({ maxDecimalPlaces: 2 }) amount!: number;
    }
    expect(() => validateSync(plainToInstance(Priced, { amount: 1e-7 }))).toThrow(TypeError);
    expect(payloadViolations(Priced, { amount: 1e-7 }, { prefix: 'data' })).toEqual([
      { path: 'data', constraints: { checkable: expect.stringContaining('could not be checked') } },
    ]);
  });
});
