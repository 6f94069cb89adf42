import 'reflect-metadata';
import { bootstrapService } from '@clientela/service-kit';
import { analyticsService } from './analytics-service';

void bootstrapService(analyticsService);
