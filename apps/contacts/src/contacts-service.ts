import { AccountEventDefinitions, ContactEventDefinitions, CustomFieldEventDefinitions, EventCatalogue, LeadEventDefinitions } from '@clientela/contracts';
import type { ServiceDefinition } from '@clientela/service-kit';
import { accountEntities } from './accounts/account.entities';
import { AccountsModule } from './accounts/accounts.module';
import { accountsProjection } from './accounts/accounts.projection';
import { contactEntities } from './contacts/contact.entities';
import { ContactsModule } from './contacts/contacts.module';
import { CustomFieldsModule } from './custom-fields/custom-fields.module';
import { contactsProjection } from './contacts/contacts.projection';
import { leadEntities } from './leads/lead.entities';
import { LeadsModule } from './leads/leads.module';
import { leadsProjection } from './leads/leads.projection';

/** The contacts service as the kit runs it: its events, features, read models and what it publishes. */
export const contactsService: ServiceDefinition = {
  name: 'contacts',
  title: 'Clientela contacts',
  description: 'People with their identities, lifecycle stage, consent and custom fields; companies (accounts); leads and their conversion.',
  catalogue: new EventCatalogue([...ContactEventDefinitions, ...CustomFieldEventDefinitions, ...AccountEventDefinitions, ...LeadEventDefinitions]),
  features: [ContactsModule, CustomFieldsModule, AccountsModule, LeadsModule],
  projections: [contactsProjection, accountsProjection, leadsProjection],
  entities: [...contactEntities, ...accountEntities, ...leadEntities],
  publishes: { contact: 'contacts', customFieldSet: 'contacts', account: 'contacts', lead: 'contacts' },
};
