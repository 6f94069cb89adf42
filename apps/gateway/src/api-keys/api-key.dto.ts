import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { API_KEY_ROLES, type ApiKeyEntity, type ApiKeyRole } from './api-key.entity';

export class CreateApiKeyRequest {
  @ApiProperty({ description: 'Who or what uses the key, e.g. `shop-backend`.', pattern: '^[A-Za-z0-9._-]{1,100}$', example: 'shop-backend' })
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'name must be 1 to 100 characters of A-Z, a-z, 0-9, ".", "_", "-"' })
  @IsString()
  name!: string;

  @ApiPropertyOptional({ enum: API_KEY_ROLES, default: 'service', description: '`admin` keys may manage keys.' })
  @IsIn(API_KEY_ROLES)
  @IsOptional()
  role?: ApiKeyRole;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 100_000,
    description: 'Requests a second this key may make on average (bursts of the gateway\'s RATE_LIMIT_BURST_SECONDS times as many); default: the gateway\'s RATE_LIMIT_PER_SECOND. For a system that sends more than a person\'s app, such as the shop\'s ingest.',
  })
  @Max(100_000)
  @Min(1)
  @IsInt()
  @IsOptional()
  rateLimitPerSecond?: number;
}

export class ChangeApiKeyRequest {
  @ApiProperty({ minimum: 1, maximum: 100_000, nullable: true, type: Number, description: 'The key\'s own rate limit, requests a second; null: back to the gateway\'s default.' })
  @Max(100_000)
  @Min(1)
  @IsInt()
  @IsDefined({ message: 'rateLimitPerSecond is required: a number of requests a second, or null for the default' })
  @ValidateIf((_object, value) => value !== null)
  rateLimitPerSecond!: number | null;
}

export class ApiKeyView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: API_KEY_ROLES })
  role!: ApiKeyRole;

  @ApiProperty({ description: 'The public part of the key, `ck_<prefix>_…`, to tell keys apart.', example: '3f9a01bc' })
  prefix!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  revokedAt!: string | null;

  @ApiProperty({ nullable: true, type: Number, description: 'Its own rate limit, requests a second; null: the gateway\'s default.' })
  rateLimitPerSecond!: number | null;

  static of(entity: ApiKeyEntity): ApiKeyView {
    return {
      id: entity.id,
      name: entity.name,
      role: entity.role,
      prefix: entity.prefix,
      createdAt: entity.createdAt.toISOString(),
      revokedAt: entity.revokedAt ? entity.revokedAt.toISOString() : null,
      rateLimitPerSecond: entity.rateLimitPerSecond,
    };
  }
}

export class CreatedApiKey extends ApiKeyView {
  @ApiProperty({ description: 'The key itself: shown this once, stored only as a hash.', example: 'ck_3f9a01bc_…' })
  key!: string;
}

export class ApiKeyList {
  @ApiProperty({ type: [ApiKeyView] })
  items!: ApiKeyView[];
}
