import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError as ClassValidatorError } from 'class-validator';
import type { FieldViolation } from '../errors';
import { compiledCheckOf } from './compiled-validation';
import { cacheValidationMetadata } from './validation-metadata-cache';

// Rules are looked up once per class, not on every validation (see the function).
cacheValidationMetadata();

/** How the contracts validate: unknown fields are refused, and so is an object of a class without rules. */
const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true } as const;

/** class-validator's nested errors as a flat list of field violations with dotted paths. */
export const toFieldViolations = (errors: ClassValidatorError[], prefix = ''): FieldViolation[] =>
  errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own: FieldViolation[] = error.constraints ? [{ path, constraints: { ...error.constraints } }] : [];
    return [...own, ...toFieldViolations(error.children ?? [], path)];
  });

const isSurelyValid = (payloadClass: abstract new () => object, data: object, ignoredFields: ReadonlySet<string> | undefined): boolean => {
  try {
    return compiledCheckOf(payloadClass)(data, ignoredFields);
  } catch {
    return false; // a rule threw: class-validator's own run below says what of
  }
};

export interface PayloadValidationOptions {
  /** Put before every violation's path (`data` gives `data.lines.0.sku`). */
  readonly prefix?: string;
  /** Top-level fields not checked at all (sealed personal fields read back). */
  readonly ignoredFields?: ReadonlySet<string>;
}

/**
 * Every violation of a plain object against a payload class's class-validator rules; none when valid.
 * The check compiled from the class's decorators answers for valid objects without class-transformer's
 * copy; anything it is not sure of goes to class-validator itself (plainToInstance + validateSync), which
 * decides and words the violations, so both validity and messages are exactly class-validator's.
 */
export const payloadViolations = (payloadClass: abstract new () => object, data: object, options: PayloadValidationOptions = {}): FieldViolation[] => {
  if (isSurelyValid(payloadClass, data, options.ignoredFields)) return [];
  let errors: ClassValidatorError[];
  try {
    errors = validateSync(plainToInstance(payloadClass as new () => object, data), OPTIONS);
  } catch {
    // Some rules throw on odd input (isNumber's maxDecimalPlaces on 1e-7, which it reads as "1e-7"): bad input, not a crash.
    return [{ path: options.prefix ?? '', constraints: { checkable: 'could not be checked: one of its values makes a rule fail (e.g. a number written with an exponent)' } }];
  }
  const violations = toFieldViolations(errors, options.prefix);
  const ignored = options.ignoredFields;
  const field = options.prefix ? options.prefix.split('.').length : 0;
  return ignored ? violations.filter((violation) => !ignored.has(violation.path.split('.')[field])) : violations;
};
