export * from './clientela-transport';
export * from './messaging-context';
export * from './messaging-exception.filter';
