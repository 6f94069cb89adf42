import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { ContactErasedPayload, RecordedEvent } from '@clientela/contracts';
import type { MessagingContext } from '@clientela/messaging';
import { ERASED_TEXT } from '@clientela/personal-data';
import { SERVICE_INFRASTRUCTURE, type ServiceInfrastructure } from '@clientela/service-kit';
import { DEALS_PROJECTION } from './deals.projection';

/**
 * A person erased in contacts: the deals of those contacts keep their amounts, stages and dates, and
 * their close reasons (personal in the contract) read as erased. The deals projection follows the
 * sales topic, not the contacts one, so this reaction scrubs its rows, in the transaction that
 * records ContactErased as handled; the copy a rebuild may be building is scrubbed too. Events the
 * projection reads later open as erased (the keys are gone; this process forgets its cached ones now).
 */
@Controller()
export class ContactErasedConsumer {
  constructor(@Inject(SERVICE_INFRASTRUCTURE) private readonly infra: ServiceInfrastructure) {}

  @EventPattern('ContactErased')
  async onContactErased(@Payload() event: RecordedEvent, @Ctx() ctx: MessagingContext): Promise<void> {
    const erased = event.data as unknown as ContactErasedPayload;
    this.infra.personalData?.keys.forget([erased.contactId, ...erased.leadIds.map((id) => `lead-${id}`)]);
    for (const schema of [`proj_${DEALS_PROJECTION}`, `proj_${DEALS_PROJECTION}__rebuild`]) {
      const { rows } = await ctx.tx.query<{ found: string | null }>('select to_regclass($1)::text as found', [`${schema}.deals`]);
      if (rows[0].found === null) continue;
      await ctx.tx.query(`update ${schema}.deals set close_reason = $2 where customer_id = $1 and close_reason is not null`, [erased.contactId, ERASED_TEXT]);
    }
  }
}
