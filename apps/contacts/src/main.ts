import 'reflect-metadata';
import { bootstrapService } from '@clientela/service-kit';
import { contactsService } from './contacts-service';

void bootstrapService(contactsService);
