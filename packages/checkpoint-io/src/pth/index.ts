export * from './pth-reader';
export type { PthValue } from './pth-value';
export { torchGlobals } from './torch-globals';
