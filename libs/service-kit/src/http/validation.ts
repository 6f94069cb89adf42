import { ValidationPipe } from '@nestjs/common';
import { ValidationError, toFieldViolations } from '@clientela/contracts';

/**
 * Every body, query and param DTO is checked with class-validator: unknown fields are refused,
 * and a refusal is one 400 problem+json listing every field with what is wrong with it.
 */
export const serviceValidationPipe = (): ValidationPipe =>
  new ValidationPipe({
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
