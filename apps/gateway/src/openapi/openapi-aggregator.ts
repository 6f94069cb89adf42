import { Inject, Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { UpstreamPools } from '../routing/upstream-pools';
import { ROUTE_TABLE, UPSTREAM_POOLS } from '../tokens';
import { mergeOpenApi, type ServiceDocument } from './merge-openapi';

const FETCH_TIMEOUT_MS = 2_000;
/** A browser reloading the docs page must not fan out to every service each time. */
const CACHE_MS = 5_000;

/** Reads each service's `/api/docs-json` and merges them with the gateway's own document. */
@Injectable()
export class OpenApiAggregator {
  private cached?: { at: number; document: Promise<OpenAPIObject> };

  constructor(
    @Inject(UPSTREAM_POOLS) private readonly pools: UpstreamPools,
    @Inject(ROUTE_TABLE) private readonly routes: Readonly<Record<string, string>>,
  ) {}

  merged(gateway: OpenAPIObject, now = Date.now()): Promise<OpenAPIObject> {
    if (!this.cached || now - this.cached.at >= CACHE_MS) {
      this.cached = { at: now, document: this.build(gateway) };
    }
    return this.cached.document;
  }

  private async build(gateway: OpenAPIObject): Promise<OpenAPIObject> {
    const documents = await Promise.all(this.pools.services.map((service) => this.documentOf(service)));
    return mergeOpenApi(gateway, documents, this.routes);
  }

  private async documentOf(service: string): Promise<ServiceDocument> {
    try {
      const response = await this.pools.pool(service)!.request({
        method: 'GET',
        path: '/api/docs-json',
        headers: { accept: 'application/json' },
        headersTimeout: FETCH_TIMEOUT_MS,
        bodyTimeout: FETCH_TIMEOUT_MS,
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        return { service, error: `HTTP ${response.statusCode}` };
      }
      const document = (await response.body.json()) as OpenAPIObject;
      if (!document || typeof document !== 'object' || typeof document.paths !== 'object') return { service, error: 'not an OpenAPI document' };
      return { service, document };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { service, error: typeof code === 'string' ? code : error instanceof Error ? error.message : String(error) };
    }
  }
}
