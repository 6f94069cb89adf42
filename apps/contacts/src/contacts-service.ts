import { AccountEventDefinitions, ContactEventDefinitions, EventCatalogue } from '@clientela/contracts';
import type { ServiceDefinition } from '@clientela/service-kit';
import { accountEntities } from './accounts/account.entities';
import { AccountsModule } from './accounts/accounts.module';
import { accountsProjection } from './accounts/accounts.projection';
import { contactEntities } from './contacts/contact.entities';
import { ContactsModule } from './contacts/contacts.module';
import { contactsProjection } from './contacts/contacts.projection';

/** The contacts service as the kit runs it: its events, features, read models and what it publishes. */
export const contactsService: ServiceDefinition = {
  name: 'contacts',
  title: 'Clientela contacts',
  description: 'People, their identities, lifecycle stage and consent; companies (accounts).',
  catalogue: new EventCatalogue([...ContactEventDefinitions, ...AccountEventDefinitions]),
  features: [ContactsModule, AccountsModule],
  projections: [contactsProjection, accountsProjection],
  entities: [...contactEntities, ...accountEntities],
  publishes: { contact: 'contacts', account: 'contacts' },
};
