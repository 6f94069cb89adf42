import { UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { GATEWAY_SECRET_HEADER, GatewayGuard } from './gateway-guard';

const SECRET = 'g'.repeat(48);

const httpContext = (url: string, headers: Record<string, string | string[]> = {}): ExecutionContext =>
  ({ getType: () => 'http', switchToHttp: () => ({ getRequest: () => ({ url, headers }) }) }) as unknown as ExecutionContext;

describe('GatewayGuard', () => {
  const guard = new GatewayGuard(SECRET);

  it('lets the API through with the gateway secret only', () => {
    expect(guard.canActivate(httpContext('/api/v1/contacts', { [GATEWAY_SECRET_HEADER]: SECRET }))).toBe(true);
    for (const headers of [{} as Record<string, string>, { [GATEWAY_SECRET_HEADER]: 'g'.repeat(47) }, { [GATEWAY_SECRET_HEADER]: `${SECRET}x` }, { 'x-clientela-role': 'admin' }]) {
      expect(() => guard.canActivate(httpContext('/api/v1/contacts/1/erasure', headers))).toThrow(UnauthorizedException);
      expect(() => guard.canActivate(httpContext('//api/v1/contacts/1/erasure', headers))).toThrow(UnauthorizedException);
    }
  });

  it('leaves health and metrics to probes and scrapers, and the bus to its own transport', () => {
    expect(guard.canActivate(httpContext('/health/ready'))).toBe(true);
    expect(guard.canActivate(httpContext('/metrics'))).toBe(true);
    expect(guard.canActivate({ getType: () => 'rpc' } as unknown as ExecutionContext)).toBe(true);
  });
});
