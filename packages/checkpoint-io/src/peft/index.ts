export * from './lora-config';
export * from './merge-lora';
export * from './peft-adapter';
