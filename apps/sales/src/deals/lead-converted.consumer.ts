import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { EventPattern, Payload } from '@nestjs/microservices';
import { nameBasedUuid, type LeadConvertedPayload, type RecordedEvent } from '@clientela/contracts';
import type { WriteRequest, WriteResult } from '@clientela/service-kit';
import { DEFAULT_PIPELINE_ID, DEFAULT_PIPELINE_NAME, DEFAULT_PIPELINE_STAGES } from '../pipelines/default-pipeline';
import { ExecutePipelineCommand } from '../pipelines/pipeline-command';
import { ExecuteDealCommand } from './deal-command';

const LEAD_DEAL_NAMESPACE = '6b2f0d7e-1c3a-4e59-9b8d-2a4c6e8f0b1d';
/** One lead, one deal: the deal's id follows from the lead's. */
export const dealIdOfLead = (leadId: string): string => nameBasedUuid(`lead-deal|${leadId}`, LEAD_DEAL_NAMESPACE);
/** Until someone prices it, a converted lead's deal is worth 0 in the currency its acquisition was paid in. */
export const DEFAULT_DEAL_CURRENCY = 'EUR';

/**
 * A lead converted in the contacts service opens a deal by itself, in the default pipeline's first
 * stage, with the contact, account and owner the conversion named. The effect is an append to the
 * event store, not a row in the consumer's transaction, so it is idempotent by its own keys (derived
 * from the event id): a redelivered LeadConverted is answered by the first append and adds nothing.
 */
@Controller()
export class LeadConvertedConsumer {
  constructor(private readonly commands: CommandBus) {}

  @EventPattern('LeadConverted')
  async onLeadConverted(@Payload() event: RecordedEvent): Promise<void> {
    const lead = event.data as unknown as LeadConvertedPayload;
    const write = (idempotencyKey: string): WriteRequest => ({
      metadata: { correlationId: event.metadata.correlationId ?? event.id, causationId: event.id, actor: 'service:sales', source: 'sales' },
      idempotencyKey,
    });
    // Created once, on the first conversion; a fixed key makes every later call a replay.
    await this.commands.execute<ExecutePipelineCommand, WriteResult>(
      new ExecutePipelineCommand(
        { type: 'CreatePipeline', data: { pipelineId: DEFAULT_PIPELINE_ID, now: lead.convertedAt, name: DEFAULT_PIPELINE_NAME, stages: DEFAULT_PIPELINE_STAGES } },
        write('default-pipeline'),
      ),
    );
    await this.commands.execute<ExecuteDealCommand, WriteResult>(
      new ExecuteDealCommand(
        {
          type: 'OpenDeal',
          data: {
            dealId: dealIdOfLead(lead.leadId),
            customerId: lead.contactId,
            now: lead.convertedAt,
            pipelineId: DEFAULT_PIPELINE_ID,
            name: `${lead.source} lead`,
            currency: lead.acquisitionCost?.currency ?? DEFAULT_DEAL_CURRENCY,
            amount: '0',
            ...(lead.accountId ? { accountId: lead.accountId } : {}),
            ...(lead.ownerId ? { ownerId: lead.ownerId } : {}),
            leadId: lead.leadId,
            source: lead.source,
          },
        },
        write(`lead-converted:${event.id}`),
      ),
    );
  }
}
