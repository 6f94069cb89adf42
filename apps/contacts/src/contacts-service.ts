import { AccountEventDefinitions, ContactEventDefinitions, EventCatalogue, LeadEventDefinitions } from '@clientela/contracts';
import type { ServiceDefinition } from '@clientela/service-kit';
import { accountEntities } from './accounts/account.entities';
import { AccountsModule } from './accounts/accounts.module';
import { accountsProjection } from './accounts/accounts.projection';
import { contactEntities } from './contacts/contact.entities';
import { ContactsModule } from './contacts/contacts.module';
import { contactsProjection } from './contacts/contacts.projection';
import { leadEntities } from './leads/lead.entities';
import { LeadsModule } from './leads/leads.module';
import { leadsProjection } from './leads/leads.projection';

/** The contacts service as the kit runs it: its events, features, read models and what it publishes. */
export const contactsService: ServiceDefinition = {
  name: 'contacts',
  title: 'Clientela contacts',
  description: 'People, their identities, lifecycle stage and consent; companies (accounts); leads and their conversion.',
  catalogue: new EventCatalogue([...ContactEventDefinitions, ...AccountEventDefinitions, ...LeadEventDefinitions]),
  features: [ContactsModule, AccountsModule, LeadsModule],
  projections: [contactsProjection, accountsProjection, leadsProjection],
  entities: [...contactEntities, ...accountEntities, ...leadEntities],
  publishes: { contact: 'contacts', account: 'contacts', lead: 'contacts' },
};
