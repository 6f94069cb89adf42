import { BadRequestException } from '@nestjs/common';
import { ConflictError, EventValidationError, UnavailableError } from '@clientela/contracts';
import { toProblem } from './problem-details';

describe('toProblem', () => {
  it('maps a ClientelaError with its status, code and details', () => {
    const { problem } = toProblem(new EventValidationError('OrderPlaced', [{ path: 'amount', constraints: { min: 'amount must be >= 0' } }]), '/x');
    expect(problem).toMatchObject({ status: 400, code: 'invalid_event_payload', instance: '/x', title: 'Bad request' });
    expect(problem.violations).toEqual([{ path: 'amount', constraints: { min: 'amount must be >= 0' } }]);
  });

  it('adds Retry-After for an unavailable dependency', () => {
    const { problem, headers } = toProblem(new UnavailableError('projection behind', 2.2));
    expect(problem.status).toBe(503);
    expect(headers['retry-after']).toBe('3');
  });

  it('keeps the status of Nest HTTP exceptions and lists validation messages', () => {
    const { problem } = toProblem(new BadRequestException(['name must be a string']));
    expect(problem).toMatchObject({ status: 400, violations: ['name must be a string'] });
    expect(toProblem(new ConflictError('taken')).problem.status).toBe(409);
  });

  it('hides the details of unexpected errors', () => {
    const { problem } = toProblem(new Error('secret stack'));
    expect(problem.status).toBe(500);
    expect(problem.detail).not.toContain('secret');
  });
});
