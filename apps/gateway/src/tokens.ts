/** Injection tokens of the gateway's own providers. */
export const GATEWAY_LOGGER = Symbol('clientela:gateway:logger');
export const UPSTREAM_POOLS = Symbol('clientela:gateway:upstream-pools');
export const ROUTE_TABLE = Symbol('clientela:gateway:route-table');
export const RATE_LIMITS = Symbol('clientela:gateway:rate-limits');
export const BEARER_TOKENS = Symbol('clientela:gateway:bearer-tokens');
