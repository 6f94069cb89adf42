import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class MergeContactDto {
  @ApiProperty({ description: 'the contact merged into this one (the one in the path survives)' })
  @IsUUID() duplicateId!: string;
}

export class UnmergeContactDto {
  @ApiProperty({ description: 'the contact merged into this one that gets its own identities and history back' })
  @IsUUID() mergedId!: string;
}
