export * from './boot-test-service';
