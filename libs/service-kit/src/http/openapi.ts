import { applyDecorators } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { ApiHeader, ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';

// class-transformer's own storage, where @Type() records nested DTO classes; not in its typed exports.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

export const API_KEY_SCHEME = 'apiKey';

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string' },
    violations: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, constraints: { type: 'object', additionalProperties: { type: 'string' } } } },
    },
  },
};

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input: every field violation is listed',
  401: 'no or wrong credentials',
  403: 'the credentials may not do this',
  404: 'not found',
  409: 'conflict: it exists already, or a concurrent change won',
  412: 'If-Match: the stream has moved past the revision given',
  413: 'the body is larger than the limit',
  422: 'a domain rule refused the command',
  429: 'too many requests',
  503: 'a dependency is down, or a read model has not reached X-Min-Position in time',
};

/** The problem+json answers a route can give, for its OpenAPI entry. */
export const ApiProblems = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status] ?? 'problem',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      }),
    ),
  );

/** The headers of a write route, for its OpenAPI entry (their rules are in write-request.ts). */
export const ApiWriteHeaders = () =>
  applyDecorators(
    ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retried request with the same key appends nothing and gets the first answer' }),
    ApiHeader({ name: 'If-Match', required: false, description: 'the ETag (revision) the change is based on: 412 when the resource has moved since' }),
  );

/** The header of a read route that waits for its read models (`@ReadYourWrites`). */
export const ApiReadHeaders = () =>
  ApiHeader({ name: 'X-Min-Position', required: false, description: "wait until the read model has reached this position (a write's X-Position)" });

const referencedSchemas = (document: unknown, all: Record<string, unknown>): Set<string> => {
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        const name = value.replace('#/components/schemas/', '');
        if (!seen.has(name)) {
          seen.add(name);
          visit(all[name]);
        }
      } else visit(value);
    }
  };
  visit(document);
  return seen;
};

/**
 * The service's OpenAPI document: routes from @nestjs/swagger, DTO schemas from their
 * class-validator rules (one source of truth for what is valid and what is documented).
 */
export const buildOpenApiDocument = (app: INestApplication, info: { title: string; description: string; version?: string }): OpenAPIObject => {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion(info.version ?? '1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, API_KEY_SCHEME)
    .addSecurityRequirements(API_KEY_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  const fromValidators = validationMetadatasToSchemas({
    refPointerPrefix: '#/components/schemas/',
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as Record<string, unknown>;
  const all: Record<string, unknown> = { ...(document.components?.schemas ?? {}), ...fromValidators, Problem: PROBLEM_SCHEMA };
  const used = referencedSchemas(document.paths, all);
  document.components = { ...document.components, schemas: Object.fromEntries([...used].filter((n) => all[n]).map((n) => [n, all[n]])) as never };
  return document;
};

/** Swagger UI at /api/docs and the JSON at /api/docs-json. */
export const serveOpenApi = (app: INestApplication, document: OpenAPIObject): void => {
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', useGlobalPrefix: false });
};
