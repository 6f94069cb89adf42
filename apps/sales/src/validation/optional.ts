import { Transform } from 'class-transformer';
import { ValidateIf } from 'class-validator';

/**
 * Optional, but never null: `IsOptional` lets null through, which would reach a decider as a value
 * for fields that cannot be cleared (a name, a currency, the stages). Null is then a 400 like any wrong type.
 */
export const OptionalNotNull = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * A list of nested objects that is not a list is refused as the list (one violation, `lines`), not
 * validated as if it were one of its items.
 */
export const ListOnly = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (value === undefined || value === null || Array.isArray(value) ? value : 'not a list'));
