export * from './tfjs-reader';
export * from './tfjs-writer';
export type * from './weights-manifest';
