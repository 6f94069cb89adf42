import {
  AnalyticsEventDefinitions,
  ContactEventDefinitions,
  CustomerEventDefinitions,
  DealEventDefinitions,
  EventCatalogue,
  LeadEventDefinitions,
} from '@clientela/contracts';
import type { ServiceDefinition } from '@clientela/service-kit';
import { customerContactsProjection } from './customer-view/customer-contacts.projection';
import { customerDealsProjection } from './customer-view/customer-deals.projection';
import { customerViewEntities } from './customer-view/customer-view.entities';
import { CustomerViewModule } from './customer-view/customer-view.module';
import { funnelEntities } from './funnel/funnel.entities';
import { FunnelModule } from './funnel/funnel.module';
import { loyaltyEntities } from './loyalty/loyalty.entities';
import { LoyaltyModule } from './loyalty/loyalty.module';
import { loyaltyProjection } from './loyalty/loyalty.projection';
import { loadLoyaltyRules } from './loyalty/loyalty-rules.config';
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
  description:
    'The single customer view and timeline across contexts, RFM scores and segments as of any date, segment movements, the customer value model (BG/NBD and Gamma-Gamma), loyalty tiers, churn risk and cohort retention, the lifecycle funnel and acquisition.',
  catalogue: new EventCatalogue([...ContactEventDefinitions, ...LeadEventDefinitions, ...CustomerEventDefinitions, ...DealEventDefinitions, ...AnalyticsEventDefinitions]),
  features: [RfmModule, ValueModelModule, SegmentChangesModule, CustomerViewModule, LoyaltyModule.forRoot(loadLoyaltyRules()), FunnelModule],
  projections: [purchasesProjection, segmentsProjection, customerContactsProjection, customerDealsProjection, loyaltyProjection],
  entities: [...rfmEntities, ...customerValueEntities, ...customerViewEntities, ...loyaltyEntities, ...funnelEntities],
  // CustomerSegmentChanged (segment-changes/), loyalty tier and churn band changes (loyalty/), for campaigns to target and trigger on.
  publishes: { customerSegment: 'analytics', customerLoyalty: 'analytics' },
};
