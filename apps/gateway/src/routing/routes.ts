/**
 * Which service owns which area of `/api/v1/<area>/...`. A new service adds its lines here
 * (and its base URL to SERVICE_URLS); the gateway refuses to start when a service named here
 * has no URL.
 */
export const ROUTES: Readonly<Record<string, string>> = {
  contacts: 'contacts',
  accounts: 'contacts',
  leads: 'contacts',
  'custom-fields': 'contacts',
  events: 'contacts',
  imports: 'contacts',
  pipelines: 'sales',
  deals: 'sales',
  orders: 'sales',
  'customer-revenue': 'sales',
  'sales-teams': 'sales',
  'sales-reps': 'sales',
  'sales-quotas': 'sales',
  'sales-reports': 'sales',
  analytics: 'analytics',
  customers: 'analytics',
};

export const API_PREFIX = '/api/v1/';

/** The area of a URL path (query ignored): `/api/v1/contacts/42?x=1` → `contacts`; null outside `/api/v1/`. */
export const areaOf = (url: string): string | null => {
  const path = url.split('?', 1)[0];
  if (!path.startsWith(API_PREFIX)) return null;
  const area = path.slice(API_PREFIX.length).split('/', 1)[0];
  return area === '' ? null : area;
};

/** The service that owns the URL's area, or null when no service does. */
export const serviceFor = (url: string, routes: Readonly<Record<string, string>> = ROUTES): string | null => {
  const area = areaOf(url);
  return area !== null && Object.prototype.hasOwnProperty.call(routes, area) ? routes[area] : null;
};

export const servicesOf = (routes: Readonly<Record<string, string>> = ROUTES): string[] => [...new Set(Object.values(routes))];
