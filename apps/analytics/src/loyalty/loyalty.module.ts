import { Module, type DynamicModule } from '@nestjs/common';
import { ValueModelModule } from '../value-model/value-model.module';
import { LoyaltyChangesService } from './loyalty-changes.service';
import { LoyaltyController } from './loyalty.controller';
import { LOYALTY_RULES, LoyaltyQueries } from './loyalty.queries';
import { DEFAULT_LOYALTY_RULES, type LoyaltyRules } from './loyalty-rules';

/** Loyalty tiers, churn bands, repeat purchase rate, cohort retention, and their published changes. */
@Module({})
export class LoyaltyModule {
  static forRoot(rules: LoyaltyRules = DEFAULT_LOYALTY_RULES): DynamicModule {
    return {
      module: LoyaltyModule,
      imports: [ValueModelModule],
      controllers: [LoyaltyController],
      providers: [{ provide: LOYALTY_RULES, useValue: rules }, LoyaltyQueries, LoyaltyChangesService],
    };
  }
}
