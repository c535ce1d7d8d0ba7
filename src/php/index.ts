export { planPhpInit, writePhpInit, validateEndpoint, validateService, DEFAULT_ENDPOINT, DEFAULT_SERVICE, DEFAULT_POOL } from './init.js';
export type { PhpInitRequest, PhpInitPlan, GeneratedFile } from './init.js';
export { bundleRuntimeClasses } from './bundle.js';
export { phpBootstrapDir } from './assets.js';
