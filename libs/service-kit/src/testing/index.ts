export * from './boot-test-service';
export * from './bad-input';
