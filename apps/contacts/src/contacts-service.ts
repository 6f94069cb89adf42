import { ContactEventDefinitions, CustomFieldEventDefinitions, EventCatalogue } from '@clientela/contracts';
import type { ServiceDefinition } from '@clientela/service-kit';
import { contactEntities } from './contacts/contact.entities';
import { ContactsModule } from './contacts/contacts.module';
import { CustomFieldsModule } from './custom-fields/custom-fields.module';
import { contactsProjection } from './contacts/contacts.projection';

/** The contacts service as the kit runs it: its events, features, read models and what it publishes. */
export const contactsService: ServiceDefinition = {
  name: 'contacts',
  title: 'Clientela contacts',
  description: 'People, their identities, lifecycle stage, consent and custom fields.',
  catalogue: new EventCatalogue([...ContactEventDefinitions, ...CustomFieldEventDefinitions]),
  features: [ContactsModule, CustomFieldsModule],
  projections: [contactsProjection],
  entities: contactEntities,
  publishes: { contact: 'contacts', customFieldSet: 'contacts' },
};
