import type { ServiceDefinition } from '@clientela/service-kit';
import { bootTestPlatform, type TestBus, type TestPlatform } from '@clientela/service-kit/testing';
// The gateway as its own tests build it: what the CLI talks to with --url and --api-key.
import { bootTestGateway } from '../../../../apps/gateway/src/testing/boot-test-gateway';

/** Services and the gateway in this process, as `npm start` runs them: one database, one topic prefix. */
export interface GatewayPlatform extends TestPlatform {
  /** The gateway's base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  adminKey: string;
}

/** The kit's test platform (one database, services listening on loopback) with the gateway in front. */
export const bootGatewayPlatform = async (definitions: readonly ServiceDefinition[], options: { bus?: TestBus } = {}): Promise<GatewayPlatform> => {
  const platform = await bootTestPlatform(definitions, { bus: options.bus, listen: true });
  try {
    const gateway = await bootTestGateway(platform);
    return {
      ...platform,
      url: gateway.url,
      adminKey: gateway.adminKey,
      close: async () => {
        await gateway.close();
        await platform.close();
      },
    };
  } catch (error) {
    await platform.close().catch(() => undefined);
    throw error;
  }
};
