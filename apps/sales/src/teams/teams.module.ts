import { Module } from '@nestjs/common';
import { ExecuteSalesRepCommandHandler, ExecuteSalesTeamCommandHandler } from './team-commands';
import { TeamsController } from './teams.controller';
import { TeamsQueries } from './teams.queries';

@Module({ controllers: [TeamsController], providers: [ExecuteSalesTeamCommandHandler, ExecuteSalesRepCommandHandler, TeamsQueries] })
export class TeamsModule {}
