import type { Context } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { HttpError } from '../problem.js';

/**
 * The request target exactly as the client sent it. The URL parser behind `c.req.url` resolves
 * `..` and `%2e%2e` segments and turns `\` into `/`, so a check on `c.req.path` comes too late;
 * on the Node server the raw target is still on the incoming message.
 */
export function rawRequestTarget(c: Context): string {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (typeof incoming?.url === 'string') return incoming.url;
  const url = new URL(c.req.url);
  return `${url.pathname}${url.search}`;
}

/** The path of a request target (origin form or absolute form), without the query. */
function targetPath(target: string): string {
  const end = queryStart(target);
  const withoutQuery = end === -1 ? target : target.slice(0, end);
  // Origin form (the usual case): no scheme to take off.
  if (withoutQuery.startsWith('/')) return withoutQuery;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(withoutQuery);
  return absolute ? withoutQuery.slice(absolute[0].length) || '/' : withoutQuery;
}

/** Where the query or the fragment of a request target starts, or -1. */
function queryStart(target: string): number {
  const query = target.indexOf('?');
  const fragment = target.indexOf('#');
  return query === -1 ? fragment : fragment === -1 ? query : Math.min(query, fragment);
}

/**
 * Why a path is ambiguous, or null. Each of these reads differently to different parsers (this
 * one, a proxy in front, a rule written against the path): `.`/`..` segments, literal or
 * percent-encoded; encoded `/` or `\`, literal `\`; `%25` (a second round of decoding);
 * encoded control characters; and empty segments (`//`).
 */
export function ambiguity(path: string): string | null {
  // Each case below needs a backslash, a `%`, a `.` or an empty segment (`//`): a path with none of
  // them (most requests) is not ambiguous, and is passed without the scans.
  if (!path.includes('%') && !path.includes('\\') && !path.includes('.') && !path.includes('//')) {
    return null;
  }
  if (path.includes('\\') || /%5c/i.test(path)) return 'a backslash';
  if (/%2f/i.test(path)) return 'an encoded slash';
  if (/%25/.test(path)) return 'an encoded percent sign';
  if (/%(?:[01][0-9a-f]|7f)/i.test(path)) return 'an encoded control character';
  const segments = path.split('/').slice(1);
  for (const [index, segment] of segments.entries()) {
    const decoded = segment.replace(/%2e/gi, '.');
    if (decoded === '.' || decoded === '..') return 'a dot segment';
    if (segment === '' && index < segments.length - 1) return 'an empty segment';
  }
  return null;
}

/**
 * Refuses a request whose path is ambiguous with a 400 problem, before routing, so that no
 * route-based rule (auth, body limits) can be sidestepped by a spelling of the path that the
 * router resolves differently from the rule. A step of the platform middleware (api/index.ts),
 * ahead of every route.
 */
export function refuseAmbiguousPath(c: Context): void {
  const reason = ambiguity(targetPath(rawRequestTarget(c)));
  if (reason !== null) {
    throw new HttpError(400, 'ambiguous_path', `the request path contains ${reason}`);
  }
}
