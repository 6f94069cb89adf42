/** An event as a decider sees it: its type and payload, nothing about storage. */
export interface DomainEvent<TType extends string = string, TData = object> {
  readonly type: TType;
  readonly data: TData;
}

/**
 * An aggregate as three pure functions: no I/O, no clock; time and ids arrive in the
 * command. `decide` returns the events to append, or throws a DomainRuleError / ConflictError.
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
}

export const fold = <State, Event extends DomainEvent>(
  decider: Pick<Decider<State, never, Event>, 'initialState' | 'evolve'>,
  events: Iterable<Event>,
): State => {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
};
