export * from './port';
export * from './postgres';
export * from './aggregate';
export * from './eventstoredb';
