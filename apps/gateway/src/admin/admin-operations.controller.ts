import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards, UsePipes } from '@nestjs/common';
import { serviceValidationPipe } from '@clientela/service-kit';
import { ApiForbiddenResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { parsePosition } from '@clientela/contracts';
import {
  listDeadLetters,
  projectionStatuses,
  rebuildProjection,
  redriveDeadLetters,
  replay,
  resetProjection,
  showDeadLetter,
  storeStatistics,
} from '@clientela/admin';
import { AdminKeyGuard } from '../api-keys/admin-key.guard';
import { LazyAdminConnections } from './admin-connections';
import { DeadLetterQuery, RedriveRequest, ReplayRequest } from './admin-operations.dto';

/**
 * The platform engineers' operations (the same functions the `clientela` CLI calls, from @clientela/admin),
 * on the platform's own PostgreSQL, event store and Kafka: admin key only.
 */
@ApiTags('admin: operations')
@ApiForbiddenResponse({ description: 'The key is not an admin key.' })
@Controller('api/v1/admin')
@UseGuards(AdminKeyGuard)
// The services' pipe: one shape of refusal (violations by path), bodies that must be objects, no unstorable text in query and path.
@UsePipes(serviceValidationPipe())
export class AdminOperationsController {
  constructor(private readonly admin: LazyAdminConnections) {}

  @Get('streams/stats')
  @ApiOkResponse({ description: 'Events, streams, per category and type, head position, size on disk.' })
  async streamStats() {
    return storeStatistics(await this.admin.get());
  }

  @Get('projections')
  @ApiOkResponse({ description: 'Every projection: position, lag in events and seconds, state, last error, rebuild progress.' })
  async projections() {
    return { items: await projectionStatuses(await this.admin.get()) };
  }

  @Get('projections/:name')
  async projection(@Param('name') name: string) {
    return (await projectionStatuses(await this.admin.get(), name))[0];
  }

  @Post('projections/:name/rebuild')
  @HttpCode(202)
  @ApiOkResponse({ description: 'Asked its runner to build a new copy beside the live one and swap it in; poll the status for progress.' })
  async rebuild(@Param('name') name: string) {
    return rebuildProjection(await this.admin.get(), name);
  }

  @Post('projections/:name/reset')
  @HttpCode(202)
  async reset(@Param('name') name: string) {
    return resetProjection(await this.admin.get(), name);
  }

  @Post('replays')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Runs the replay to its end (or resumes it) and answers what was sent per topic.' })
  async replay(@Body() body: ReplayRequest) {
    return replay(await this.admin.get(), {
      ...(body.fromPosition ? { fromPosition: parsePosition(body.fromPosition, 'fromPosition') } : {}),
      ...(body.toPosition ? { toPosition: parsePosition(body.toPosition, 'toPosition') } : {}),
      ...(body.since ? { since: new Date(body.since) } : {}),
      ...(body.until ? { until: new Date(body.until) } : {}),
      categories: body.categories,
      types: body.types,
      toTopic: body.toTopic,
      rate: body.rate,
      dryRun: body.dryRun,
      restart: body.restart,
    });
  }

  @Get('dead-letters')
  async deadLetters(@Query() query: DeadLetterQuery) {
    return { items: await listDeadLetters(await this.admin.get(), query) };
  }

  @Get('dead-letters/:id')
  async deadLetter(@Param('id') id: string) {
    return showDeadLetter(await this.admin.get(), id);
  }

  @Post('dead-letters/redrive')
  @HttpCode(200)
  async redrive(@Body() body: RedriveRequest) {
    return { redriven: await redriveDeadLetters(await this.admin.get(), body) };
  }
}
