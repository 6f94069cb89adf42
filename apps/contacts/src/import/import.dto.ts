import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '@clientela/service-kit';
import { IMPORT_KINDS, type ImportKind } from './import.events';
import { ACCOUNT_IMPORT_FIELDS, CONTACT_IMPORT_FIELDS } from './import-rows';

export class StartImportQuery {
  @ApiProperty({ enum: IMPORT_KINDS, description: 'what the rows are: contacts (through identity resolution) or accounts (keyed by domain, else name)' })
  @IsIn(IMPORT_KINDS) kind!: ImportKind;

  @ApiPropertyOptional({ description: 'true: check and plan every row, create nothing, list the bad rows', default: false })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  dryRun?: boolean;

  @ApiProperty({
    description: `JSON: {"columns": {"<CSV column>": "<field>"}, "source": "<system of the external ids>"}; contact fields: ${CONTACT_IMPORT_FIELDS.join(', ')}, custom:<key>; account fields: ${ACCOUNT_IMPORT_FIELDS.join(', ')}`,
    example: '{"columns":{"First name":"givenName","E-mail":"email","Customer no":"externalId"},"source":"legacy-crm"}',
  })
  @IsString() @MaxLength(20_000) mapping!: string;
}

export class ImportErrorsQuery extends PageQuery {}
