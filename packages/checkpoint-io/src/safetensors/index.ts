export * from './header';
export * from './layout';
export * from './reader';
export * from './stream-writer';
export * from './writer';
