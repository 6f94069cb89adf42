import { AccountEventDefinitions, ContactEventDefinitions, CustomerEventDefinitions, CustomFieldEventDefinitions, EventCatalogue, LeadEventDefinitions } from '@clientela/contracts';
import type { ServiceDefinition } from '@clientela/service-kit';
import { accountEntities } from './accounts/account.entities';
import { AccountsModule } from './accounts/accounts.module';
import { accountsProjection } from './accounts/accounts.projection';
import { contactEntities } from './contacts/contact.entities';
import { ContactsModule } from './contacts/contacts.module';
import { CustomFieldsModule } from './custom-fields/custom-fields.module';
import { contactsProjection } from './contacts/contacts.projection';
import { DuplicatePairRow } from './ingest/duplicates.queries';
import { ImportEventDefinitions } from './import/import.events';
import { ImportModule } from './import/import.module';
import { importsProjection } from './import/imports.projection';
import { importEntities } from './import/imports.queries';
import { loadIdentityRules } from './ingest/identity-rules.config';
import { IngestEventDefinitions } from './ingest/ingest.events';
import { IngestModule } from './ingest/ingest.module';
import { duplicatesProjection, identifiersProjection } from './ingest/ingest.projections';
import { leadEntities } from './leads/lead.entities';
import { LeadsModule } from './leads/leads.module';
import { MergeModule } from './merge/merge.module';
import { ErasureModule } from './erasure/erasure.module';
import { ExportModule } from './export/export.module';
import { leadsProjection } from './leads/leads.projection';

/** The contacts service as the kit runs it: its events, features, read models and what it publishes. */
export const contactsService: ServiceDefinition = {
  name: 'contacts',
  title: 'Clientela contacts',
  description: 'People with their identities, lifecycle stage, consent and custom fields; companies (accounts); leads and their conversion; ingest of external customer events with identity resolution; merge and unmerge; CSV import; erasure and export of a person\'s data.',
  catalogue: new EventCatalogue([...ContactEventDefinitions, ...CustomFieldEventDefinitions, ...AccountEventDefinitions, ...LeadEventDefinitions, ...CustomerEventDefinitions, ...IngestEventDefinitions, ...ImportEventDefinitions]),
  features: [ContactsModule, CustomFieldsModule, AccountsModule, LeadsModule, MergeModule, ErasureModule, ExportModule, IngestModule.forRoot(loadIdentityRules()), ImportModule],
  projections: [contactsProjection, accountsProjection, leadsProjection, identifiersProjection, duplicatesProjection, importsProjection],
  entities: [...contactEntities, ...accountEntities, ...leadEntities, DuplicatePairRow, ...importEntities],
  // Ingest also writes `order-` streams: they belong to the sales context, whose relay (one per
  // context and database, named after it) publishes them.
  publishes: { contact: 'contacts', customFieldSet: 'contacts', account: 'contacts', lead: 'contacts', activity: 'contacts', identifier: 'contacts', contactDuplicate: 'contacts', contactImport: 'contacts' },
};
