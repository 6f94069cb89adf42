export * from './http/problem-details';
export * from './config/platform-config';
