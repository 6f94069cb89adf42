import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { csvStream, keysetPage, type Page, type SortKey } from '@clientela/service-kit';
import { purchasesAsOfSql } from '../purchases/purchases.sql';
import { DEFAULT_CURRENCY } from '../rfm/rfm.dto';
import { CustomerValueRow } from './customer-value.entities';
import type { ListCustomerValueQuery } from './value-model.dto';
import { ValueModelService } from './value-model.service';

const SORTS: Record<string, SortKey> = {
  predictedValue: { expression: 'v.predicted_value' },
  probabilityAlive: { expression: 'v.probability_alive' },
  expectedPurchases: { expression: 'v.expected_purchases' },
  netRevenue: { expression: 'v.net_revenue' },
};
const CSV_PAGE = 10_000;

/**
 * The service's predictions (computed in TypeScript: they need 2F1) go to PostgreSQL as arrays and are
 * joined there with the exact net revenue to date, so lists page and sort with the kit's keyset.
 */
const customerValueSql = `
  select v.customer_id, v.repeat_purchases, v.probability_alive, v.expected_purchases, v.expected_spend, v.predicted_value,
         h.net_revenue, trim_scale(h.net_revenue * cast(:margin as numeric)) as historic_value
    from unnest(cast(:ids as uuid[]), cast(:repeats as int[]), cast(:alive as float8[]), cast(:purchases as float8[]),
                cast(:spend as float8[]), cast(:value as float8[]))
         as v(customer_id, repeat_purchases, probability_alive, expected_purchases, expected_spend, predicted_value)
    join (select customer_id, sum(net) as net_revenue from (${purchasesAsOfSql('asOf', 'currency')}) p group by customer_id) h using (customer_id)`;

@Injectable()
export class CustomerValueQueries {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly values: ValueModelService,
  ) {}

  async list(query: ListCustomerValueQuery): Promise<Page<CustomerValueRow>> {
    return this.page(query, query.cursor, query.limit);
  }

  csv(query: ListCustomerValueQuery): Readable {
    return csvStream(
      ['customer_id', 'repeat_purchases', 'probability_alive', 'expected_purchases', 'expected_spend', 'predicted_value', 'net_revenue', 'historic_value'],
      (cursor) => this.page(query, cursor, CSV_PAGE),
      (v) => [v.customerId, v.repeatPurchases, v.probabilityAlive, v.expectedPurchases, v.expectedSpend, v.predictedValue, v.netRevenue, v.historicValue],
    );
  }

  private async page(query: ListCustomerValueQuery, cursor: string | undefined, limit: number | undefined): Promise<Page<CustomerValueRow>> {
    const currency = query.currency ?? DEFAULT_CURRENCY;
    const margin = query.margin ?? '1';
    const p = await this.values.predictions(query.calibrationEnd, currency, { horizonWeeks: query.horizonWeeks ?? 52, discountRate: query.discountRate ?? 0.1, margin: Number(margin) });
    const q = this.db
      .getRepository(CustomerValueRow)
      .createQueryBuilder('v')
      .addCommonTableExpression(customerValueSql, 'customer_value')
      .setParameters({
        asOf: query.calibrationEnd,
        currency,
        margin,
        ids: p.customerIds,
        repeats: p.repeatPurchases,
        alive: p.probabilityAlive,
        purchases: p.expectedPurchases,
        spend: p.expectedSpend,
        value: p.predictedValue,
      });
    if (query.maxProbabilityAlive !== undefined) q.andWhere('v.probability_alive <= :maxAlive', { maxAlive: query.maxProbabilityAlive });
    return keysetPage(q, { sort: query.sort ?? '-predictedValue', sorts: SORTS, idExpression: 'v.customer_id', cursor, limit });
  }
}
