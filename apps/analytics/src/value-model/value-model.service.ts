import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DomainRuleError } from '@clientela/contracts';
import { countsAsSql, membersFingerprintSql } from '../merges/merges.sql';
import { PURCHASES_SCHEMA, purchasesAsOfSql } from '../purchases/purchases.sql';
import { fitBgNbd, type BgNbdParameters } from './bg-nbd';
import { summarizeCustomers, type CustomerSummary, type PurchaseDay } from './customer-summary';
import { predictValue, type ValueOptions } from './customer-value';
import { fitGammaGamma, type GammaGammaParameters } from './gamma-gamma';

export interface FittedValueModel {
  calibrationEnd: string;
  currency: string;
  /** Customers with a first purchase on or before the calibration end. */
  customers: number;
  bgnbd: BgNbdParameters & { logLikelihood: number };
  /** Fitted on `customers` customers with a repeat purchase and a positive mean repeat spend. */
  gammaGamma: GammaGammaParameters & { customers: number; logLikelihood: number };
  /** What the model saw of each customer, for the per-customer predictions. */
  summaries: readonly CustomerSummary[];
}

/** Every customer's prediction, column by column (as they go to PostgreSQL). */
export interface CustomerPredictions {
  customerIds: string[];
  repeatPurchases: number[];
  probabilityAlive: number[];
  expectedPurchases: number[];
  expectedSpend: number[];
  predictedValue: number[];
}

/** Models kept: one per calibration date and currency asked for, the oldest dropped beyond this. */
const CACHE_SIZE = 32;

/**
 * Fits the value model on the purchases read model as of a calibration date. A fit of the whole
 * CDNOW cohort takes about two seconds, so each is kept until an order, refund or cancellation changes
 * the read model (its `order_changes` counter) or a merge or unmerge changes whose purchases are whose,
 * and concurrent requests share one fit.
 */
@Injectable()
export class ValueModelService {
  private readonly cache = new Map<string, { changes: string; model: Promise<FittedValueModel> }>();
  /** Predictions per fitted model (dropped with it) and per horizon, rate and margin. */
  private readonly predictionCache = new WeakMap<FittedValueModel, Map<string, Promise<CustomerPredictions>>>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async model(calibrationEnd: string, currency: string): Promise<FittedValueModel> {
    const key = `${calibrationEnd}|${currency}`;
    const changes = await this.changes();
    const cached = this.cache.get(key);
    if (cached && cached.changes === changes) return cached.model;
    const model = this.fit(calibrationEnd, currency);
    this.cache.delete(key);
    this.cache.set(key, { changes, model });
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    // A failed fit is not kept: the next request tries again.
    model.catch(() => this.cache.get(key)?.model === model && this.cache.delete(key));
    return model;
  }

  /**
   * Every customer's P(alive), expected purchases and spend and predicted value, kept with the model
   * it was computed from (per horizon, rate and margin), computed in slices so other requests go on.
   */
  async predictions(calibrationEnd: string, currency: string, options: ValueOptions): Promise<CustomerPredictions> {
    const model = await this.model(calibrationEnd, currency);
    const key = `${options.horizonWeeks}|${options.discountRate}|${options.margin}`;
    let byOptions = this.predictionCache.get(model);
    if (!byOptions) this.predictionCache.set(model, (byOptions = new Map()));
    const cached = byOptions.get(key);
    if (cached) return cached;
    const computed = this.predict(model, options);
    if (byOptions.size >= CACHE_SIZE) byOptions.delete(byOptions.keys().next().value as string);
    byOptions.set(key, computed);
    return computed;
  }

  private async predict(model: FittedValueModel, options: ValueOptions): Promise<CustomerPredictions> {
    const out: CustomerPredictions = { customerIds: [], repeatPurchases: [], probabilityAlive: [], expectedPurchases: [], expectedSpend: [], predictedValue: [] };
    for (const [i, customer] of model.summaries.entries()) {
      const p = predictValue(model.bgnbd, model.gammaGamma, customer, options);
      out.customerIds.push(customer.customerId);
      out.repeatPurchases.push(customer.x);
      out.probabilityAlive.push(p.probabilityAlive);
      out.expectedPurchases.push(p.expectedPurchases);
      out.expectedSpend.push(p.expectedSpend);
      out.predictedValue.push(p.predictedValue);
      if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    }
    return out;
  }

  /** One customer's summary at the calibration end; undefined when it had bought nothing by then. */
  async customer(customerId: string, calibrationEnd: string, currency: string): Promise<CustomerSummary | undefined> {
    return summarizeCustomers(await this.purchaseDays(calibrationEnd, currency, customerId), calibrationEnd)[0];
  }

  /** Net revenue to the date, exact, and that times the margin (historic CLV). */
  async historicValue(customerId: string, asOf: string, currency: string, margin: string): Promise<{ netRevenue: string; value: string }> {
    const row = await this.db
      .createQueryBuilder()
      .addCommonTableExpression(purchasesAsOfSql('asOf', 'currency'), 'p')
      .select('coalesce(sum(p.net), 0)::text', 'netRevenue')
      .addSelect('trim_scale(coalesce(sum(p.net), 0) * cast(:margin as numeric))::text', 'value')
      .from('p', 'p')
      .where(`p.customer_id = ${countsAsSql('cast(:customerId as uuid)')}`, { customerId })
      .setParameters({ asOf, currency, margin })
      .getRawOne<{ netRevenue: string; value: string }>();
    return row ?? { netRevenue: '0', value: '0' };
  }

  /** What the fit depends on besides the date: the orders (their change counter) and who counts as whom (merges). */
  private async changes(): Promise<string> {
    const rows = (await this.db.query(
      `select (select changes::text from ${PURCHASES_SCHEMA}.order_changes) as changes, (${membersFingerprintSql}) as members`,
    )) as Array<{ changes: string | null; members: string }>;
    return `${rows[0]?.changes ?? '0'}|${rows[0]?.members ?? ''}`;
  }

  private async fit(calibrationEnd: string, currency: string): Promise<FittedValueModel> {
    const customers = summarizeCustomers(await this.purchaseDays(calibrationEnd, currency), calibrationEnd);
    const spenders = customers.filter((c) => c.x > 0 && c.meanRepeatValue > 0).map((c) => ({ x: c.x, meanValue: c.meanRepeatValue }));
    if (spenders.length < 2) {
      throw new DomainRuleError(
        `the value model needs at least two customers with a repeat purchase of positive value by ${calibrationEnd} in ${currency} (found ${spenders.length})`,
        'not_enough_purchases',
      );
    }
    const bgnbd = await fitBgNbd(customers);
    const gammaGamma = await fitGammaGamma(spenders);
    return {
      calibrationEnd,
      currency,
      customers: customers.length,
      bgnbd: { ...bgnbd.parameters, logLikelihood: bgnbd.logLikelihood },
      gammaGamma: { ...gammaGamma.parameters, customers: spenders.length, logLikelihood: gammaGamma.logLikelihood },
      summaries: customers,
    };
  }

  /** Net value per customer and purchase day, sorted; floats from here on: the model is a statistical estimate, not an account. */
  private async purchaseDays(calibrationEnd: string, currency: string, customerId?: string): Promise<PurchaseDay[]> {
    const q = this.db
      .createQueryBuilder()
      .addCommonTableExpression(purchasesAsOfSql('asOf', 'currency'), 'p')
      .select('p.customer_id', 'customerId')
      .addSelect('p.placed_on::text', 'day')
      .addSelect('sum(p.net)::float8', 'value')
      .from('p', 'p')
      .groupBy('p.customer_id')
      .addGroupBy('p.placed_on')
      .orderBy('p.customer_id')
      .addOrderBy('p.placed_on')
      .setParameters({ asOf: calibrationEnd, currency });
    if (customerId) q.where(`p.customer_id = ${countsAsSql('cast(:customerId as uuid)')}`, { customerId });
    return q.getRawMany<PurchaseDay>();
  }
}
