import type { OpenAPIObject } from '@nestjs/swagger';
import { serviceFor } from '../routing/routes';

type Json = Record<string, unknown>;

/** One service's document, or why it could not be read. */
export type ServiceDocument = { service: string; document: OpenAPIObject } | { service: string; error: string };

export const API_KEY_SCHEME = 'ApiKey';
export const BEARER_SCHEME = 'Bearer';

/** The two credentials the gateway takes, either one: API keys for services, JWTs for people. */
export const SECURITY_SCHEMES = {
  [API_KEY_SCHEME]: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'An API key of the gateway (services, integrations).' },
  [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A person\'s token from the identity provider, when the gateway has JWT_JWKS_URL or JWT_SECRET.' },
} as const;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const stableJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Json).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );

const pascal = (name: string): string =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');

/** A deep copy with every `$ref` passed through `rename`. */
const withRefs = <T>(value: T, rename: (ref: string) => string): T => {
  if (Array.isArray(value)) return value.map((item) => withRefs(item, rename)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Json).map(([key, inner]) => [key, key === '$ref' && typeof inner === 'string' ? rename(inner) : withRefs(inner, rename)]),
    ) as T;
  }
  return value;
};

/**
 * The one document clients read: every service's paths that the gateway routes to it, their
 * components merged (a name two sources define differently becomes `<Service><Name>` in each,
 * refs rewritten), the gateway's own routes, and the X-Api-Key scheme applied globally (the
 * services' own security requirements are dropped: the gateway is the one checking). Services
 * whose document could not be read are named in `info.description`.
 */
export const mergeOpenApi = (
  gateway: OpenAPIObject,
  services: readonly ServiceDocument[],
  routes: Readonly<Record<string, string>>,
  publicPaths: (path: string) => boolean = (path) => path.startsWith('/health/'),
): OpenAPIObject => {
  const sources = [
    { service: 'gateway', document: gateway },
    ...services.flatMap((entry) => ('document' in entry ? [{ service: entry.service, document: entry.document }] : [])),
  ];
  const missing = services.flatMap((entry) => ('error' in entry ? [entry] : []));

  // Component names: kept unless two sources define one differently. (A shared component's refs
  // are read as its first definer's.)
  const componentsOf = (document: OpenAPIObject) => (document.components ?? {}) as Record<string, Json | undefined>;
  const kinds = [...new Set(sources.flatMap(({ document }) => Object.keys(componentsOf(document))))].filter((kind) => kind !== 'securitySchemes');
  const renames = new Map<string, Map<string, string>>(sources.map(({ service }) => [service, new Map()]));
  const placed: { kind: string; name: string; service: string; value: unknown }[] = [];
  for (const kind of kinds) {
    const definers = new Map<string, { service: string; value: unknown }[]>();
    for (const { service, document } of sources) {
      for (const [name, value] of Object.entries(componentsOf(document)[kind] ?? {})) {
        definers.set(name, [...(definers.get(name) ?? []), { service, value }]);
      }
    }
    const taken = new Set(definers.keys());
    for (const [name, defs] of definers) {
      if (new Set(defs.map((def) => stableJson(def.value))).size === 1) {
        placed.push({ kind, name, ...defs[0] });
        continue;
      }
      for (const def of defs) {
        let renamed = `${pascal(def.service)}${name}`;
        for (let n = 2; taken.has(renamed); n += 1) renamed = `${pascal(def.service)}${name}${n}`;
        taken.add(renamed);
        renames.get(def.service)!.set(`#/components/${kind}/${name}`, `#/components/${kind}/${renamed}`);
        placed.push({ kind, name: renamed, ...def });
      }
    }
  }
  const renamerOf = (service: string) => (ref: string) => renames.get(service)!.get(ref) ?? ref;
  const components: Record<string, Json> = Object.fromEntries(kinds.map((kind) => [kind, {}]));
  for (const { kind, name, service, value } of placed) components[kind][name] = withRefs(value, renamerOf(service));

  const paths: Json = {};
  const conflicts: string[] = [];
  const tags = new Map<string, unknown>();
  for (const { service, document } of sources) {
    const rename = renamerOf(service);
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      if (service !== 'gateway' && serviceFor(path, routes) !== service) continue; // not reachable through the gateway
      if (path in paths) {
        conflicts.push(`${path} (${service})`);
        continue;
      }
      const copy = withRefs(item as Json, rename);
      for (const method of HTTP_METHODS) {
        const operation = copy[method] as Json | undefined;
        if (!operation) continue;
        if (service === 'gateway' && publicPaths(path)) operation.security = [];
        else delete operation.security;
      }
      paths[path] = copy;
    }
    for (const tag of document.tags ?? []) if (!tags.has(tag.name)) tags.set(tag.name, tag);
  }

  const notes = [
    `One document for every service behind the gateway. Every /api/v1 route needs an X-Api-Key header (services) or an Authorization: Bearer token (people), within the credential's rate limit (429 with Retry-After past it).`,
    `Included: ${sources.map(({ service }) => service).join(', ')}.`,
    ...missing.map(({ service, error }) => `Left out: the ${service} service did not serve its document (${error}).`),
    ...(conflicts.length > 0 ? [`Paths defined twice, the first kept: ${conflicts.join(', ')}.`] : []),
  ];
  return {
    ...gateway,
    info: { ...gateway.info, description: notes.join('\n\n') },
    tags: [...tags.values()] as OpenAPIObject['tags'],
    paths: paths as OpenAPIObject['paths'],
    components: {
      ...components,
      securitySchemes: SECURITY_SCHEMES,
    } as OpenAPIObject['components'],
    security: [{ [API_KEY_SCHEME]: [] }, { [BEARER_SCHEME]: [] }],
  };
};
