import type { ValueTransformer } from 'typeorm';

/** pg returns bigint columns as strings (they may exceed 2^53); counts and revisions of read models do not. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
