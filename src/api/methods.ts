// Which methods a path has, from the routes registered on the app: an unknown method on a known path is a 405 with
// an Allow header (and OPTIONS a 204 with it), not a 404.
type RegisteredRoute = { method: string; path: string };

const patternOf = (path: string) => new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\/:[^/]+/g, '/[^/]+')}/?$`);

export function allowedMethods(routes: readonly RegisteredRoute[]): (path: string) => string[] {
  let table: Array<{ pattern: RegExp; method: string }> | undefined;
  return (path) => {
    // Built on first use: every route is registered by then.
    table ??= routes.filter((r) => r.method !== 'ALL').map((r) => ({ pattern: patternOf(r.path), method: r.method }));
    const methods = new Set(table.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.size === 0) return [];
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    return [...methods].sort();
  };
}
