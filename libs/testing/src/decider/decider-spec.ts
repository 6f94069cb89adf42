import type { Decider, DomainEvent } from '@clientela/contracts';

type ErrorClass = abstract new (...args: never[]) => Error;

export interface DeciderThen<Event> {
  /** The command produced exactly these events. */
  then(expected: Event[]): void;
  /** The command was refused with this error type (and, if given, a message containing `message`). */
  thenThrows(errorType: ErrorClass, message?: string | RegExp): void;
  /** The command was accepted and changed nothing. */
  thenNothingHappens(): void;
}

/**
 * Given/when/then for deciders: `const given = deciderSpec(dealDecider);`
 * `given([opened]).when(winDeal).then([won]);`
 */
export const deciderSpec =
  <State, Command, Event extends DomainEvent>(decider: Decider<State, Command, Event>) =>
  (history: Event[] = []) => ({
    when: (command: Command): DeciderThen<Event> => {
      const run = (): Event[] => {
        const state = history.reduce(decider.evolve, decider.initialState());
        return decider.decide(command, state);
      };
      return {
        then: (expected) => expect(run()).toEqual(expected),
        thenNothingHappens: () => expect(run()).toEqual([]),
        thenThrows: (errorType, message) => {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(errorType);
          if (message !== undefined) expect((thrown as Error).message).toMatch(message);
        },
      };
    },
  });
