import { IsInt, IsString, MaxLength, validateSync } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata-cache';

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };
const failedRules = (value: object) => validateSync(value, OPTIONS).flatMap((e) => Object.keys(e.constraints ?? {}).map((rule) => `${e.property}:${rule}`)).sort();

class Parent {
  @IsString() name!: string;
}

describe('cacheValidationMetadata', () => {
  beforeAll(() => cacheValidationMetadata());

  it('keeps a class\'s own and inherited rules', () => {
    class Child extends Parent {
      @IsInt() count!: number;
    }
    const child = Object.assign(new Child(), { name: 7, count: 'x' });
    expect(failedRules(child)).toEqual(['count:isInt', 'name:isString']);
    // Again, from the cache.
    expect(failedRules(child)).toEqual(['count:isInt', 'name:isString']);
    expect(failedRules(Object.assign(new Parent(), { name: 'ok' }))).toEqual([]);
  });

  it('sees a rule added to a class after it was validated', () => {
    class Late {
      @IsString() text!: string;
    }
    const late = Object.assign(new Late(), { text: 'far too long' });
    expect(failedRules(late)).toEqual([]);
    MaxLength(3)(Late.prototype, 'text');
    expect(failedRules(late)).toEqual(['text:maxLength']);
  });

  it('sees a subclass declared after its parent was validated', () => {
    expect(failedRules(Object.assign(new Parent(), { name: 1 }))).toEqual(['name:isString']);
    class Later extends Parent {
      @IsInt() n!: number;
    }
    expect(failedRules(Object.assign(new Later(), { name: 'a', n: 1.5 }))).toEqual(['n:isInt']);
  });

  it('is installed once however often it is called', () => {
    const before = failedRules(Object.assign(new Parent(), { name: 2 }));
    cacheValidationMetadata();
    cacheValidationMetadata();
    expect(failedRules(Object.assign(new Parent(), { name: 2 }))).toEqual(before);
  });
});
