import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { unstorableFieldViolation, ValidationError, toFieldViolations } from '@clientela/contracts';

/**
 * Every body, query and param DTO is checked with class-validator: unknown fields are refused,
 * and a refusal is one 400 problem+json listing every field with what is wrong with it. A body
 * must be a JSON object (or absent): `null`, an array or a bare string is not an empty command.
 */
class ServiceValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // No body at all (a POST that needs no input) is an empty object; an explicit null is not.
    if (metadata.type === 'body' && value === undefined) value = {};
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new ValidationError('the body must be a JSON object', [{ path: '', constraints: { isObject: 'the body must be a JSON object' } }]);
    }
    if (metadata.type === 'query' || metadata.type === 'param') refuseUnstorable(value, metadata.data);
    // A DTO's body too: before class-transformer recurses through it (a value nested thousands deep
    // overflowed the stack) and before checks that choke on a lone surrogate (isEmail threw). Bodies
    // without a DTO (ingest's array) are checked item by item by their handler instead.
    else if (metadata.type === 'body' && metadata.metatype && !UNCHECKED_BODY_TYPES.has(metadata.metatype)) refuseUnstorable(value, undefined);
    return super.transform(value, metadata);
  }
}

const UNCHECKED_BODY_TYPES: ReadonlySet<unknown> = new Set([Object, Array, String, Buffer]);

/**
 * U+0000 or a lone surrogate in a query, path or body value is a 400 naming it: PostgreSQL refuses
 * such text in any statement (a filter holding it was a 500); nesting deeper than 32 is refused too.
 */
const refuseUnstorable = (value: unknown, name: string | undefined): void => {
  const found = unstorableFieldViolation(value, 32);
  if (!found) return;
  const path = name === undefined ? found.path : found.path === '' ? name : `${name}.${found.path}`;
  throw new ValidationError(`invalid ${path}`, [{ ...found, path }]);
};

export const serviceValidationPipe = (): ValidationPipe =>
  new ServiceValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const violations = toFieldViolations(errors);
      return new ValidationError(`invalid ${violations.map((v) => v.path).join(', ')}`, violations);
    },
  });
