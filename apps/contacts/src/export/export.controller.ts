import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblems, RequireRole } from '@clientela/service-kit';
import { ContactIdParams } from '../contacts/contacts.dto';
import { PersonalDataExporter, type PersonalDataExport } from './personal-data-export';

@ApiTags('contacts')
@Controller('api/v1/contacts')
export class ExportController {
  constructor(private readonly exporter: PersonalDataExporter) {}

  @Get(':id/export')
  @RequireRole('admin')
  @ApiOkResponse({ description: 'everything the platform holds about the person (the contact, those merged with it, the leads converted into them): profile, identities, consents and the events of every context, decrypted; after an erasure only erased markers and non-personal facts' })
  @ApiProblems(400, 403, 404, 503)
  export(@Param() { id }: ContactIdParams): Promise<PersonalDataExport> {
    return this.exporter.export(id);
  }
}
