import { nameBasedUuid, type ChurnBand, type CustomerChurnBandChangedPayload, type CustomerLoyaltyTierChangedPayload, type LoyaltyTier, type StreamId } from '@clientela/contracts';

/** A customer's loyalty on the day beside what was last published for it. */
export interface LoyaltyState {
  customerId: string;
  tier: LoyaltyTier;
  rollingValue: string;
  tenureDays: number;
  /** Undefined: P(alive) unknown (no model as of the day). */
  churnBand?: ChurnBand;
  churnRisk?: number;
  publishedTier?: LoyaltyTier;
  publishedBand?: ChurnBand;
  /** The loyalty stream's revision; undefined: no stream yet. */
  revision?: number;
}

export type LoyaltyEvent =
  | { id: string; type: 'CustomerLoyaltyTierChanged'; data: CustomerLoyaltyTierChangedPayload }
  | { id: string; type: 'CustomerChurnBandChanged'; data: CustomerChurnBandChangedPayload };

export interface LoyaltyChange {
  streamId: StreamId;
  expectedRevision: number | 'no_stream';
  events: LoyaltyEvent[];
}

// Fixed namespace: a day computed twice names the same events, so the store answers the second run as duplicates.
const LOYALTY_NAMESPACE = '0c7d7a4e-8f0b-4c55-9b0e-5e7b8d2f6a31';

export const loyaltyStream = (customerId: string): StreamId => `customerLoyalty-${customerId}` as StreamId;

/** The events of one day's run: a tier change and a band change for each customer whose tier or band is not the one last published. Pure. */
export const planLoyaltyChanges = (states: Iterable<LoyaltyState>, asOf: string, currency: string): LoyaltyChange[] => {
  const changes: LoyaltyChange[] = [];
  for (const s of states) {
    const events: LoyaltyEvent[] = [];
    if (s.tier !== s.publishedTier) {
      events.push({
        id: nameBasedUuid(`${s.customerId}|${currency}|${asOf}|tier`, LOYALTY_NAMESPACE),
        type: 'CustomerLoyaltyTierChanged',
        data: { customerId: s.customerId, ...(s.publishedTier ? { from: s.publishedTier } : {}), to: s.tier, asOf, currency, rollingValue: s.rollingValue, tenureDays: s.tenureDays },
      });
    }
    if (s.churnBand !== undefined && s.churnRisk !== undefined && s.churnBand !== s.publishedBand) {
      events.push({
        id: nameBasedUuid(`${s.customerId}|${currency}|${asOf}|band`, LOYALTY_NAMESPACE),
        type: 'CustomerChurnBandChanged',
        data: { customerId: s.customerId, ...(s.publishedBand ? { from: s.publishedBand } : {}), to: s.churnBand, asOf, currency, churnRisk: s.churnRisk },
      });
    }
    if (events.length > 0) changes.push({ streamId: loyaltyStream(s.customerId), expectedRevision: s.revision ?? 'no_stream', events });
  }
  return changes;
};
