import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { API_KEY_SCHEME, BEARER_SCHEME, SECURITY_SCHEMES } from './merge-openapi';
import { OpenApiAggregator } from './openapi-aggregator';

/**
 * Serves the merged document at /api/docs-json and the Swagger UI at /api/docs (on Fastify,
 * SwaggerModule serves the UI's assets through @fastify/static). SwaggerModule builds the
 * gateway's own document once; `patchDocumentOnRequest` swaps in the merge on every request, so
 * a service that comes up later appears without a restart. Call before the app listens.
 */
export const setupGatewayOpenApi = (app: INestApplication, version = '1'): void => {
  const own = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Clientela API')
      .setVersion(version)
      .addApiKey(SECURITY_SCHEMES[API_KEY_SCHEME], API_KEY_SCHEME)
      .addBearerAuth(SECURITY_SCHEMES[BEARER_SCHEME], BEARER_SCHEME)
      .build(),
  );
  const aggregator = app.get(OpenApiAggregator);
  SwaggerModule.setup('api/docs', app, own, {
    jsonDocumentUrl: 'api/docs-json',
    raw: ['json'],
    // SwaggerModule awaits what this returns, though its type says a document.
    patchDocumentOnRequest: ((_request: unknown, _response: unknown, document: OpenAPIObject) =>
      aggregator.merged(document)) as unknown as (request: unknown, response: unknown, document: OpenAPIObject) => OpenAPIObject,
    swaggerOptions: { persistAuthorization: true },
  });
};
