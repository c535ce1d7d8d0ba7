export { planFastapi, parseApp, fastapiArgv, fastapiEnvironment, FASTAPI_PACKAGES } from './fastapi.js';
export type { FastapiRequest } from './fastapi.js';
export { planLitellm, litellmConfig, litellmEnvironment, LITELLM_PACKAGES } from './litellm.js';
export type { LitellmRequest } from './litellm.js';
export { renderPlan, writePlan, parseOtlpEndpoint, parseUnitName, DEFAULT_ENDPOINT } from './common.js';
export type { WireFile, WirePlan } from './common.js';
