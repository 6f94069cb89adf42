/**
 * A request URL as log lines keep it: query values (a search by email or name, a cursor carrying a
 * name it sorts by) read `*`, and so do the path segments after `identities/` (an external id is
 * personal, and the one route with a personal value in its path unlinks one). Logs outlive an
 * erasure, so they hold no personal value.
 */
export const urlForLog = (url: string): string => {
  const [path, query] = url.split('?', 2) as [string, string | undefined];
  const segments = path.split('/');
  const identities = segments.indexOf('identities');
  const shownPath = identities < 0 ? path : [...segments.slice(0, identities + 1), ...segments.slice(identities + 1).map((s) => (s === '' ? s : '*'))].join('/');
  if (query === undefined) return shownPath;
  const names = query.split('&').filter((part) => part !== '').map((part) => `${part.split('=', 1)[0]}=*`);
  return `${shownPath}?${names.join('&')}`;
};
