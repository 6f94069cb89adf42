import { AnalyticsEventDefinitions, CustomerOrderEventDefinitions, DealEventDefinitions, EventCatalogue } from '@clientela/contracts';
import type { ServiceDefinition } from '@clientela/service-kit';
import { purchasesProjection } from './purchases/purchases.projection';
import { rfmEntities } from './rfm/rfm.entities';
import { SegmentChangesModule } from './segment-changes/segment-changes.module';
import { segmentsProjection } from './segment-changes/segments.projection';
import { RfmModule } from './rfm/rfm.module';
import { customerValueEntities } from './value-model/customer-value.entities';
import { ValueModelModule } from './value-model/value-model.module';

/**
 * The analytics service as the kit runs it: cross-context read models built from other services'
 * events, the models computed from them, and the segment changes it publishes.
 */
export const analyticsService: ServiceDefinition = {
  name: 'analytics',
  title: 'Clientela analytics',
  description: 'Customers\' purchases across contexts, RFM scores and segments as of any date, segment movements, and the customer value model (BG/NBD and Gamma-Gamma).',
  catalogue: new EventCatalogue([...CustomerOrderEventDefinitions, ...DealEventDefinitions, ...AnalyticsEventDefinitions]),
  features: [RfmModule, ValueModelModule, SegmentChangesModule],
  projections: [purchasesProjection, segmentsProjection],
  entities: [...rfmEntities, ...customerValueEntities],
  // CustomerSegmentChanged, for campaigns to target and trigger on (segment-changes/).
  publishes: { customerSegment: 'analytics' },
};
