import {
  ContactErased,
  ContactMergeEventDefinitions,
  CustomerOrderEventDefinitions,
  DealEventDefinitions,
  EventCatalogue,
  LeadEventDefinitions,
  PipelineEventDefinitions,
  SalesRepEventDefinitions,
  SalesTeamEventDefinitions,
} from '@clientela/contracts';
import type { ServiceDefinition } from '@clientela/service-kit';
import { dealEntities } from './deals/deal.entities';
import { DealsModule } from './deals/deals.module';
import { dealsProjection } from './deals/deals.projection';
import { orderEntities } from './orders/order.entities';
import { OrdersModule } from './orders/orders.module';
import { ordersProjection } from './orders/orders.projection';
import { customerMergesProjection } from './orders/customer-merges.projection';
import { ReportsModule } from './reports/reports.module';
import { salesTeamEntities } from './teams/team.entities';
import { TeamsModule } from './teams/teams.module';
import { salesTeamsProjection } from './teams/teams.projection';
import { pipelineEntities } from './pipelines/pipeline.entities';
import { PipelinesModule } from './pipelines/pipelines.module';
import { pipelinesProjection } from './pipelines/pipelines.projection';

/** The sales service as the kit runs it: its events, features, read models and what it publishes. */
export const salesService: ServiceDefinition = {
  name: 'sales',
  title: 'Clientela sales',
  description: 'Pipelines and deals; orders and net revenue per customer; sales reps, teams and quotas; pipeline, forecast, win-rate and quota reports.',
  catalogue: new EventCatalogue([...PipelineEventDefinitions, ...DealEventDefinitions, ...CustomerOrderEventDefinitions, ...SalesTeamEventDefinitions, ...SalesRepEventDefinitions, ...LeadEventDefinitions, ...ContactMergeEventDefinitions, ContactErased]),
  // A converted lead opens a deal (deals/lead-converted.consumer.ts); an erased contact's deals are scrubbed (deals/contact-erased.consumer.ts).
  reactsTo: ['lead', 'contact'],
  features: [PipelinesModule, DealsModule, OrdersModule, TeamsModule, ReportsModule],
  projections: [pipelinesProjection, dealsProjection, ordersProjection, salesTeamsProjection, customerMergesProjection],
  entities: [...pipelineEntities, ...dealEntities, ...orderEntities, ...salesTeamEntities],
  // `order-` streams are appended by contacts (ingested orders) but belong to sales: its relay publishes them.
  publishes: { pipeline: 'sales', deal: 'sales', order: 'sales', salesTeam: 'sales', salesRep: 'sales' },
};
