import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { NotFoundError } from '@clientela/contracts';
import { csvStream, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { likePrefix } from '../lists/like-prefix';
import { SalesQuotaRow, SalesRepRow, SalesTeamRow } from './team.entities';
import type { ListQuotasQuery, ListSalesRepsQuery, ListSalesTeamsQuery } from './teams.dto';

export interface SalesTeamView { id: string; name: string; createdAt: string; revision: number }
export interface SalesRepView { id: string; name: string; email: string | null; teamId: string | null; registeredAt: string; updatedAt: string; revision: number }
export interface SalesQuotaView { repId: string; period: string; amount: string; currency: string; setAt: string }

const CSV_PAGE = 1_000;
const teamView = (t: SalesTeamRow): SalesTeamView => ({ id: t.id, name: t.name, createdAt: t.createdAt.toISOString(), revision: t.revision });
const repView = (r: SalesRepRow): SalesRepView => ({
  id: r.id, name: r.name, email: r.email, teamId: r.teamId, registeredAt: r.registeredAt.toISOString(), updatedAt: r.updatedAt.toISOString(), revision: r.revision,
});
const quotaView = (q: SalesQuotaRow): SalesQuotaView => ({ repId: q.repId, period: q.period, amount: q.amount, currency: q.currency, setAt: q.setAt.toISOString() });
const mapped = <R, V>(page: Page<R>, view: (row: R) => V): Page<V> => ({ items: page.items.map(view), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });

@Injectable()
export class TeamsQueries {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async team(id: string): Promise<SalesTeamView> {
    const row = await this.db.getRepository(SalesTeamRow).findOneBy({ id });
    if (!row) throw new NotFoundError(`team ${id} not found`);
    return teamView(row);
  }

  async rep(id: string): Promise<SalesRepView & { quotas: SalesQuotaView[] }> {
    const row = await this.db.getRepository(SalesRepRow).findOneBy({ id });
    if (!row) throw new NotFoundError(`sales rep ${id} not found`);
    const quotas = await this.db.getRepository(SalesQuotaRow).find({ where: { repId: id }, order: { period: 'ASC' } });
    return { ...repView(row), quotas: quotas.map(quotaView) };
  }

  async teams(query: ListSalesTeamsQuery, cursor = query.cursor, limit = query.limit): Promise<Page<SalesTeamView>> {
    const q = this.db.getRepository(SalesTeamRow).createQueryBuilder('t');
    if (query.name) q.andWhere("t.name_key like :name escape '\\'", { name: likePrefix(query.name.toLowerCase()) });
    const sorts: Record<string, SortKey> = { name: { expression: 't.name_key' }, createdAt: { expression: 't.created_at' } };
    return mapped(await keysetPage(q, { sort: query.sort ?? 'name', sorts, idExpression: 't.id', cursor, limit }), teamView);
  }

  teamsCsv(query: ListSalesTeamsQuery): Readable {
    return csvStream(['id', 'name', 'created_at'], (cursor) => this.teams(query, cursor, CSV_PAGE), (t) => [t.id, t.name, t.createdAt]);
  }

  async reps(query: ListSalesRepsQuery, cursor = query.cursor, limit = query.limit): Promise<Page<SalesRepView>> {
    const q = this.db.getRepository(SalesRepRow).createQueryBuilder('r');
    if (query.name) q.andWhere("r.name_key like :name escape '\\'", { name: likePrefix(query.name.toLowerCase()) });
    if (query.team) q.andWhere('r.team_id = :team', { team: query.team });
    const sorts: Record<string, SortKey> = { name: { expression: 'r.name_key' }, registeredAt: { expression: 'r.registered_at' } };
    return mapped(await keysetPage(q, { sort: query.sort ?? 'name', sorts, idExpression: 'r.id', cursor, limit }), repView);
  }

  repsCsv(query: ListSalesRepsQuery): Readable {
    return csvStream(['id', 'name', 'email', 'team_id', 'registered_at'], (cursor) => this.reps(query, cursor, CSV_PAGE), (r) => [r.id, r.name, r.email, r.teamId, r.registeredAt]);
  }

  async quotas(query: ListQuotasQuery, cursor = query.cursor, limit = query.limit): Promise<Page<SalesQuotaView>> {
    const q = this.db.getRepository(SalesQuotaRow).createQueryBuilder('q');
    if (query.rep) q.andWhere('q.rep_id = :rep', { rep: query.rep });
    if (query.period) q.andWhere('q.period = :period', { period: query.period });
    const sorts: Record<string, SortKey> = { period: { expression: 'q.period' }, amount: { expression: 'q.amount' } };
    return mapped(await keysetPage(q, { sort: query.sort ?? 'period', sorts, idExpression: "(q.rep_id::text || ':' || q.period)", cursor, limit }), quotaView);
  }

  quotasCsv(query: ListQuotasQuery): Readable {
    return csvStream(['rep_id', 'period', 'amount', 'currency', 'set_at'], (cursor) => this.quotas(query, cursor, CSV_PAGE), (q) => [q.repId, q.period, q.amount, q.currency, q.setAt]);
  }
}
