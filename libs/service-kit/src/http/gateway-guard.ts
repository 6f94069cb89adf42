import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';

/** What the gateway sends with every request it forwards when GATEWAY_SECRET is set (a client's own `X-Clientela-*` never gets through it). */
export const GATEWAY_SECRET_HEADER = 'x-clientela-gateway-secret';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * With GATEWAY_SECRET set, a service answers its routes only to the gateway: its API routes
 * trust the role and actor headers the gateway sets, so a caller that reached the service directly
 * (in a container it listens on every address) could otherwise claim any role. Health and metrics
 * stay open to probes and scrapers; the OpenAPI document is served outside Nest's routes.
 */
export class GatewayGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(secret: string) {
    this.expected = digest(secret);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<{ url: string; headers: Record<string, string | string[] | undefined> }>();
    // Deny by default: only the probes' and scrapers' routes are open (a path spelled otherwise, `//api/…`, is still checked).
    if (request.url.startsWith('/health/') || request.url === '/metrics' || request.url.startsWith('/metrics?')) return true;
    const header = request.headers[GATEWAY_SECRET_HEADER];
    const given = Array.isArray(header) ? header[0] : header;
    // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first wrong byte.
    if (given !== undefined && timingSafeEqual(digest(given), this.expected)) return true;
    throw new UnauthorizedException('this service answers through the gateway only');
  }
}
