import { runEventStoreBench } from '../eventstore/bench';
import { registerBench } from '../registry';

registerBench({
  name: 'eventstore',
  description:
    'PostgresEventStore: single-event appends, batch appends, multi-stream appends and read-all, each beside the same SQL on a plain table, and beside emmett-postgresql (no multi-stream append there)',
  run: runEventStoreBench,
});
