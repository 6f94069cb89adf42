import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@clientela/service-kit';
import { PostalAddressColumns } from '../postal-address/postal-address.columns';

// TypeORM mappings onto the table of the accounts projection (schema proj_accounts). The projection
// creates, rebuilds and swaps it; this only reads (no migrations, never synchronize).
const schema = 'proj_accounts';

@Entity({ schema, name: 'accounts', synchronize: false })
export class AccountRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'name_key' }) nameKey!: string;
  @Column('text', { nullable: true }) domain!: string | null;
  @Column('text', { nullable: true }) industry!: string | null;
  @Column('text', { nullable: true }) size!: string | null;
  @Column(() => PostalAddressColumns, { prefix: false }) address!: PostalAddressColumns;
  @Column('uuid', { name: 'owner_id', nullable: true }) ownerId!: string | null;
  @Column('boolean') archived!: boolean;
  @Column('timestamptz', { name: 'archived_at', nullable: true }) archivedAt!: Date | null;
  @Column('timestamptz', { name: 'registered_at' }) registeredAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('bigint', { transformer: bigintAsNumber }) revision!: number;
}

export const accountEntities = [AccountRow];
