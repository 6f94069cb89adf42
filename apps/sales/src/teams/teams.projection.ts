import type { RecordedEvent, SalesRepEvent, SalesTeamEvent } from '@clientela/contracts';
import { defineProjection, type RowChange, type RowProjection } from '@clientela/projections';

/** Sales teams, reps and their quotas per period. */
export const SALES_TEAMS_PROJECTION = 'sales_teams';

const tables = {
  teams: {
    columns: { id: 'uuid', name: 'text', name_key: 'text', created_at: 'timestamptz', revision: { type: 'bigint', default: '0' } },
    primaryKey: ['id'],
    indexes: [['name_key']],
  },
  reps: {
    columns: {
      id: 'uuid', name: 'text', name_key: 'text', email: 'text', team_id: 'uuid', registered_at: 'timestamptz', updated_at: 'timestamptz',
      revision: { type: 'bigint', default: '0' },
    },
    primaryKey: ['id'],
    indexes: [['name_key'], ['team_id']],
  },
  quotas: {
    columns: { rep_id: 'uuid', period: 'text', amount: 'numeric', currency: 'text', set_at: 'timestamptz' },
    primaryKey: ['rep_id', 'period'],
    indexes: [['period']],
  },
} as const;

const changesOf = (event: SalesTeamEvent | SalesRepEvent, revision: number, recordedAt: string): RowChange[] => {
  switch (event.type) {
    case 'SalesTeamCreated':
      return [{ table: 'teams', key: { id: event.data.teamId }, set: { name: event.data.name, name_key: event.data.name.toLowerCase(), created_at: event.data.createdAt }, max: { revision } }];
    case 'SalesTeamRenamed':
      return [{ table: 'teams', key: { id: event.data.teamId }, set: { name: event.data.name, name_key: event.data.name.toLowerCase() }, max: { revision } }];
    case 'SalesRepRegistered': {
      const d = event.data;
      return [
        {
          table: 'reps',
          key: { id: d.repId },
          set: { name: d.name, name_key: d.name.toLowerCase(), email: d.email ?? null, team_id: d.teamId ?? null, registered_at: d.registeredAt },
          max: { revision, updated_at: recordedAt },
        },
      ];
    }
    case 'SalesRepChanged': {
      const d = event.data;
      const set: Record<string, string | null> = {};
      if (d.name !== undefined) Object.assign(set, { name: d.name, name_key: d.name.toLowerCase() });
      if (d.email !== undefined) set.email = d.email;
      if (d.teamId !== undefined) set.team_id = d.teamId;
      return [{ table: 'reps', key: { id: d.repId }, set, max: { revision, updated_at: recordedAt } }];
    }
    case 'SalesQuotaSet': {
      const d = event.data;
      return [
        { table: 'quotas', key: { rep_id: d.repId, period: d.period }, set: { amount: d.amount, currency: d.currency, set_at: d.setAt } },
        { table: 'reps', key: { id: d.repId }, max: { revision, updated_at: recordedAt } },
      ];
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

export const salesTeamsProjection = defineProjection<RowProjection<typeof tables>>({
  name: SALES_TEAMS_PROJECTION,
  version: 1,
  categories: ['salesTeam', 'salesRep'],
  eventTypes: ['SalesTeamCreated', 'SalesTeamRenamed', 'SalesRepRegistered', 'SalesRepChanged', 'SalesQuotaSet'],
  tables,
  project: (event: RecordedEvent): RowChange[] =>
    changesOf(event as unknown as SalesTeamEvent | SalesRepEvent, event.revision, event.recordedAt instanceof Date ? event.recordedAt.toISOString() : String(event.recordedAt)),
});
