export * from './convert';
export * from './inspect-report';
export * from './tensor-stats';
