import { Column } from 'typeorm';
import type { ColumnType } from '@clientela/projections';
import type { PostalAddress } from '@clientela/contracts';

/** A postal address as read-model columns: the same in every table that keeps one (contacts, accounts). */
export const POSTAL_ADDRESS_COLUMNS = {
  address_line1: 'text',
  address_line2: 'text',
  city: 'text',
  postal_code: 'text',
  region: 'text',
  country: 'text',
  lat: 'double precision',
  lon: 'double precision',
} as const satisfies Record<string, ColumnType>;

/** The row values of an address (all null when it is cleared). */
export const postalAddressRow = (address: PostalAddress | null | undefined) => ({
  address_line1: address?.line1 ?? null,
  address_line2: address?.line2 ?? null,
  city: address?.city ?? null,
  postal_code: address?.postalCode ?? null,
  region: address?.region ?? null,
  country: address?.country ?? null,
  lat: address?.lat ?? null,
  lon: address?.lon ?? null,
});

export interface PostalAddressView {
  line1: string | null;
  line2: string | null;
  city: string | null;
  postalCode: string | null;
  region: string | null;
  country: string | null;
  lat: number | null;
  lon: number | null;
}

/** The same columns for TypeORM, embedded without a prefix: `@Column(() => PostalAddressColumns, { prefix: false })`. */
export class PostalAddressColumns implements PostalAddressView {
  @Column('text', { name: 'address_line1', nullable: true }) line1!: string | null;
  @Column('text', { name: 'address_line2', nullable: true }) line2!: string | null;
  @Column('text', { nullable: true }) city!: string | null;
  @Column('text', { name: 'postal_code', nullable: true }) postalCode!: string | null;
  @Column('text', { nullable: true }) region!: string | null;
  @Column('text', { nullable: true }) country!: string | null;
  @Column('double precision', { nullable: true }) lat!: number | null;
  @Column('double precision', { nullable: true }) lon!: number | null;
}

export const postalAddressView = (columns: PostalAddressColumns): PostalAddressView => ({ ...columns });
