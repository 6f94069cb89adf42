import type { Dispatcher } from 'undici';
import type { ReadinessCheck } from '@clientela/platform';

/** A service is ready when its own `/health/ready` answers 2xx within the timeout. */
export const serviceReadiness = (service: string, dispatcher: Dispatcher, timeoutMs = 2_000): ReadinessCheck => ({
  name: `service ${service}`,
  check: async () => {
    try {
      const response = await dispatcher.request({
        method: 'GET',
        path: '/health/ready',
        headers: { accept: 'application/json' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.body.text();
      if (response.statusCode >= 200 && response.statusCode < 300) return { status: 'up' };
      let detail: unknown;
      try {
        detail = (JSON.parse(text) as { detail?: unknown }).detail;
      } catch {
        detail = undefined;
      }
      return { status: 'down', details: { httpStatus: response.statusCode, ...(detail !== undefined ? { detail } : {}) } };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { status: 'down', details: { error: typeof code === 'string' ? code : error instanceof Error ? error.message : String(error) } };
    }
  },
});
