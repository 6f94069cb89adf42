import { runProjectionsBench } from '../projections/bench';
import { registerBench } from '../registry';

registerBench({
  name: 'projections',
  description:
    'ProjectionRunner (the sample customer_revenue projection): a full rebuild beside a plain read of the same events, and the lag from append to read model at 1,000 events/s beside the store notification',
  run: runProjectionsBench,
});
