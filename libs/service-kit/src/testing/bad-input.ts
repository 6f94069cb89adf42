import request from 'supertest';
import type { TestService } from './boot-test-service';

/** A write route and a body it accepts; every field of `valid` is checked for wrong types and huge values. */
export interface WriteRoute {
  method: 'post' | 'put' | 'patch';
  path: string;
  valid: Record<string, unknown>;
}

export const violationPaths = (response: request.Response): string[] =>
  ((response.body as { violations?: { path: string }[] }).violations ?? []).map((v) => v.path).sort();

/** The answer is problem+json with this status. */
export const expectProblem = (response: request.Response, status: number): void => {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect((response.body as { status?: number }).status).toBe(status);
};

/** Everything the event store holds, in a form that changes with any append. */
export const storedEvents = async (service: TestService) =>
  (await service.infra.pool.query('select count(*)::int as events, max(transaction_id::text) as last from event_store.events')).rows[0] as { events: number; last: string | null };

/** Sends a body as raw JSON text (or a string as it is), so malformed bodies go out unchanged. */
export const sendJson = (service: TestService, route: Pick<WriteRoute, 'method' | 'path'>, body: string | object, headers: Record<string, string> = {}) =>
  request(service.server)[route.method](route.path).set({ 'content-type': 'application/json', ...headers }).send(typeof body === 'string' ? body : JSON.stringify(body));

/**
 * The rules every write route keeps, as tests: malformed JSON and non-object bodies, unknown fields,
 * wrong types, text PostgreSQL cannot store, deep nesting and huge strings in every field are 400
 * problem+json naming the fields; a body over the limit is 413; and none of it changes what is stored. A slice adds its own cases beside these.
 */
export const itRefusesBadInput = (service: () => TestService, routes: () => readonly WriteRoute[]): void => {
  const unchanged = async (work: () => Promise<void>) => {
    const before = await storedEvents(service());
    await work();
    expect(await storedEvents(service())).toEqual(before);
  };

  it('refuses malformed JSON and bodies that are not objects with 400', () =>
    unchanged(async () => {
      for (const route of routes()) for (const body of ['{"a":', '{"a":1}}', 'null', '[1,2]', '"text"']) expectProblem(await sendJson(service(), route, body), 400);
    }));

  it('refuses unknown fields and wrong types, naming each field', () =>
    unchanged(async () => {
      for (const route of routes()) {
        const unknown = await sendJson(service(), route, { ...route.valid, isAdmin: true });
        expectProblem(unknown, 400);
        expect(violationPaths(unknown)).toContain('isAdmin');
        const typed = await sendJson(service(), route, Object.fromEntries(Object.keys(route.valid).map((k) => [k, { nested: [1] }])));
        expectProblem(typed, 400);
        expect(violationPaths(typed)).toEqual(Object.keys(route.valid).sort());
      }
    }));

  it('refuses U+0000, lone surrogates and deep nesting in every field with 400 naming it (they were 500s)', () =>
    unchanged(async () => {
      // As text: JSON.stringify of it would overflow this process's stack.
      const deep = `${'['.repeat(5_000)}"x"${']'.repeat(5_000)}`;
      for (const route of routes()) {
        for (const field of Object.keys(route.valid)) {
          for (const bad of ['"a\\u0000b"', '"a\\ud800b"', deep]) {
            const refused = await sendJson(service(), route, JSON.stringify({ ...route.valid, [field]: '<bad>' }).replace('"<bad>"', () => bad));
            expectProblem(refused, 400);
            expect(violationPaths(refused)[0]?.split('.')[0]).toBe(field);
          }
        }
      }
    }));

  it('refuses huge strings with 400 and bodies over the limit with 413', () =>
    unchanged(async () => {
      for (const route of routes()) {
        for (const field of Object.keys(route.valid)) {
          const huge = await sendJson(service(), route, { ...route.valid, [field]: 'x'.repeat(10_000) });
          expectProblem(huge, 400);
          expect(violationPaths(huge)).toContain(field);
        }
        expectProblem(await sendJson(service(), route, { ...route.valid, filler: 'x'.repeat(2 * 1024 * 1024) }), 413);
      }
    }));
};
