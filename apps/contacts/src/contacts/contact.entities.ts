import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@clientela/service-kit';
import { PostalAddressColumns } from '../postal-address/postal-address.columns';

// TypeORM mappings onto the tables of the contacts projection (schema proj_contacts). The projection
// creates, rebuilds and swaps them; these only read (no migrations, never synchronize).
const schema = 'proj_contacts';

@Entity({ schema, name: 'contacts', synchronize: false })
export class ContactRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('text', { name: 'given_name', nullable: true }) givenName!: string | null;
  @Column('text', { name: 'family_name', nullable: true }) familyName!: string | null;
  @Column('text', { nullable: true }) language!: string | null;
  @Column('text', { name: 'preferred_channel', nullable: true }) preferredChannel!: string | null;
  @Column(() => PostalAddressColumns, { prefix: false }) address!: PostalAddressColumns;
  @Column('uuid', { name: 'owner_id', nullable: true }) ownerId!: string | null;
  @Column('uuid', { name: 'account_id', nullable: true }) accountId!: string | null;
  @Column('text', { name: 'lifecycle_stage' }) lifecycleStage!: string;
  @Column('timestamptz', { name: 'registered_at' }) registeredAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('bigint', { transformer: bigintAsNumber }) revision!: number;
  @Column('uuid', { name: 'merged_into', nullable: true }) mergedInto!: string | null;
}

@Entity({ schema, name: 'contact_emails', synchronize: false })
export class ContactEmailRow {
  @PrimaryColumn('uuid', { name: 'contact_id' }) contactId!: string;
  @PrimaryColumn('text') email!: string;
  @Column('bigint', { transformer: bigintAsNumber }) ordinal!: number;
}



@Entity({ schema, name: 'contact_identities', synchronize: false })
export class ContactIdentityRow {
  @PrimaryColumn('uuid', { name: 'contact_id' }) contactId!: string;
  @PrimaryColumn('text') source!: string;
  @PrimaryColumn('text', { name: 'external_id' }) externalId!: string;
}



export const contactEntities = [ContactRow, ContactEmailRow, ContactIdentityRow];
