import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ConflictError, streamId } from '@clientela/contracts';
import { Aggregates, type WriteRequest, type WriteResult } from '@clientela/service-kit';
import { accountsDecider } from '../accounts/accounts.decider';
import { contactsDecider } from '../contacts/contacts.decider';
import { conversionKeysOf } from './lead-conversion';
import { leadsDecider, type LeadCommand } from './leads.decider';

export class ConvertLead {
  constructor(
    readonly command: Extract<LeadCommand, { type: 'ConvertLead' }>,
    readonly write: WriteRequest,
  ) {}
}

export interface ConversionResult extends WriteResult {
  contactId: string;
  accountId: string | null;
}

/**
 * Converts a lead in three appends, each through its own decider: the lead records LeadConverted,
 * then the account (when the lead named its company) and the contact are registered. The lead goes
 * first, so its rules (qualified, not disqualified) decide; the registrations carry idempotency keys
 * derived from the lead, so a retry, after a crash between the appends or not, completes the
 * conversion and creates nothing twice. The answer's position is the last append's, so a read with
 * X-Min-Position sees the contact and the account too.
 */
@CommandHandler(ConvertLead)
export class ConvertLeadHandler implements ICommandHandler<ConvertLead, ConversionResult> {
  constructor(private readonly aggregates: Aggregates) {}

  async execute({ command, write }: ConvertLead): Promise<ConversionResult> {
    const { leadId } = command.data;
    const lead = await this.aggregates.handle(streamId('lead', leadId), leadId, leadsDecider, command, write);
    const { state } = lead;
    if (state.status !== 'converted' || !state.conversion) {
      // Only a replay gets here: the key answered an earlier request on this lead that was not this conversion.
      throw new ConflictError(`Idempotency-Key ${write.idempotencyKey ?? ''} was first used for another request on lead ${leadId}; send a new key to convert it`);
    }
    const { contactId, accountId, ownerId, convertedAt } = state.conversion;
    const owner = ownerId ? { ownerId } : {};
    const keys = conversionKeysOf(leadId);
    // Not the client's If-Match or Idempotency-Key: those are about the lead.
    const registration = (idempotencyKey: string): WriteRequest => ({ metadata: write.metadata, idempotencyKey });
    let position = lead.position;
    if (accountId && state.person.companyName) {
      const account = await this.aggregates.handle(
        streamId('account', accountId),
        accountId,
        accountsDecider,
        { type: 'RegisterAccount', data: { accountId, now: convertedAt, profile: { name: state.person.companyName, ...owner } } },
        registration(keys.account),
      );
      if (account.position > position) position = account.position;
    }
    const { givenName, familyName, email, phone } = state.person;
    const contact = await this.aggregates.handle(
      streamId('contact', contactId),
      contactId,
      contactsDecider,
      {
        type: 'RegisterContact',
        data: {
          contactId,
          now: convertedAt,
          profile: { givenName, familyName, ...owner, ...(accountId ? { accountId } : {}) },
          emails: email ? [email] : [],
          phones: phone ? [phone] : [],
          // A qualified lead handed to sales.
          lifecycleStage: 'sql',
        },
      },
      registration(keys.contact),
    );
    if (contact.position > position) position = contact.position;
    return { id: leadId, revision: lead.revision, position, replayed: lead.replayed, contactId, accountId: accountId ?? null };
  }
}
