export * from './unpickler';
