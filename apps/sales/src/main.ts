import 'reflect-metadata';
import { bootstrapService } from '@clientela/service-kit';
import { salesService } from './sales-service';

void bootstrapService(salesService);
