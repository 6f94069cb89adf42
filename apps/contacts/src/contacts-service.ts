import { ContactEventDefinitions, EventCatalogue } from '@clientela/contracts';
import type { ServiceDefinition } from '@clientela/service-kit';
import { contactEntities } from './contacts/contact.entities';
import { ContactsModule } from './contacts/contacts.module';
import { contactsProjection } from './contacts/contacts.projection';

/** The contacts service as the kit runs it: its events, features, read models and what it publishes. */
export const contactsService: ServiceDefinition = {
  name: 'contacts',
  title: 'Clientela contacts',
  description: 'People, their identities, lifecycle stage and consent.',
  catalogue: new EventCatalogue(ContactEventDefinitions),
  features: [ContactsModule],
  projections: [contactsProjection],
  entities: contactEntities,
  publishes: { contact: 'contacts' },
};
