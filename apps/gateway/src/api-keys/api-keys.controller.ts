import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, UseGuards, UsePipes } from '@nestjs/common';
import { serviceValidationPipe } from '@clientela/service-kit';
import { ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminKeyGuard } from './admin-key.guard';
import { ApiKeyList, ApiKeyView, ChangeApiKeyRequest, CreateApiKeyRequest, CreatedApiKey } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';

@ApiTags('admin: API keys')
@ApiForbiddenResponse({ description: 'The key is not an admin key.' })
@Controller('api/v1/admin/api-keys')
@UseGuards(AdminKeyGuard)
// The services' pipe: one shape of refusal (violations by path), bodies that must be objects, no unstorable text in query and path.
@UsePipes(serviceValidationPipe())
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedApiKey, description: 'The key, with its secret shown this once.' })
  async create(@Body() body: CreateApiKeyRequest): Promise<CreatedApiKey> {
    const { key, entity } = await this.keys.create(body.name, body.role ?? 'service', body.rateLimitPerSecond ?? null);
    return { ...ApiKeyView.of(entity), key };
  }

  @Get()
  @ApiOkResponse({ type: ApiKeyList, description: 'Every key, revoked ones included, never a secret.' })
  async list(): Promise<ApiKeyList> {
    return { items: (await this.keys.list()).map((entity) => ApiKeyView.of(entity)) };
  }

  @Patch(':id')
  @ApiOkResponse({ type: ApiKeyView, description: 'The key with its new rate limit, in force at once on this gateway (other instances within API_KEY_CACHE_TTL_MS).' })
  @ApiNotFoundResponse({ description: 'No key has this id.' })
  async change(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: ChangeApiKeyRequest): Promise<ApiKeyView> {
    return ApiKeyView.of(await this.keys.changeRateLimit(id, body.rateLimitPerSecond));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked (again, if it was already).' })
  @ApiNotFoundResponse({ description: 'No key has this id.' })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.keys.revoke(id);
  }
}
