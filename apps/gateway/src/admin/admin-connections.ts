import { openAdminConnections, type AdminConnections } from '@clientela/admin';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { UnavailableError } from '@clientela/contracts';
import type { PlatformConfig } from '@clientela/platform';

/** The services' configuration the gateway read at start (PlatformConfig), or null. */
export const PLATFORM_CONFIG = Symbol('clientela:gateway:platform-config');

/**
 * The admin operations' connections, opened at the first admin call rather than at start: the gateway
 * serves traffic while Kafka or the event store is away, and an admin call then says what it could not reach.
 */
@Injectable()
export class LazyAdminConnections implements OnModuleDestroy {
  private opening: Promise<AdminConnections> | undefined;

  constructor(@Inject(PLATFORM_CONFIG) private readonly platform: PlatformConfig | null) {}

  get(): Promise<AdminConnections> {
    if (!this.platform) return Promise.reject(new UnavailableError('admin operations need the platform configuration (DATABASE_URL, EVENT_STORE, BUS, KAFKA_BROKERS)'));
    const platform = this.platform;
    this.opening ??= openAdminConnections(platform, { clientId: 'clientela-gateway-admin' }).catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  async onModuleDestroy(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    await (await opening?.catch(() => undefined))?.close();
  }
}
