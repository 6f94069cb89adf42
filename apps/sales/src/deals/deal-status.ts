export const DEAL_STATUSES = ['open', 'won', 'lost'] as const;
export const DEAL_STATUSES_FILTER: readonly string[] = DEAL_STATUSES;
