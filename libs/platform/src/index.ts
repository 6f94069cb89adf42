export * from './http/problem-details';
