import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { PROBLEMS, PROBLEM_CODES, problemType, type ProblemCode } from '../../contract/index.js';
import { DOMAIN_ERRORS } from './errors.js';

/**
 * The API reference and the problem catalogue as plain server-rendered HTML: no script, no CDN,
 * nothing fetched by the browser. The one inline stylesheet is allowed by its hash, so the page
 * runs under `default-src 'none'`.
 */
const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
code,pre{font:13px ui-monospace,monospace;background:#f3f3f3;padding:0 .2em}
.op{border:1px solid #ccc;border-radius:4px;margin:1rem 0;padding:.5rem 1rem}
.m{font-weight:bold;text-transform:uppercase;margin-right:.5rem}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
ul.s{margin:.2rem 0;padding-left:1.2rem}`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const DOCS_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(c: Context, title: string, body: string): Response {
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      `<meta name="viewport" content="width=device-width"><style>${STYLE}</style></head><body>${body}</body></html>`,
    200,
    {
      'content-security-policy': DOCS_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  );
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A schema as nested lists: type, enum, properties (required marked), items, references. */
export function renderSchema(schema: unknown, depth = 0): string {
  if (!isObject(schema) || depth > 8) return '';
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop() ?? '';
    return `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;
  }
  const parts: string[] = [];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) {
      parts.push(
        `${key === 'allOf' ? 'all of' : 'one of'}: ${list.map((s) => renderSchema(s, depth + 1)).join(' | ')}`,
      );
    }
  }
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  if (type !== undefined) parts.push(`<code>${escapeHtml(type)}</code>`);
  if (schema.format !== undefined) parts.push(`(${escapeHtml(schema.format)})`);
  if (Array.isArray(schema.enum))
    parts.push(`one of ${schema.enum.map((v) => `<code>${escapeHtml(v)}</code>`).join(', ')}`);
  for (const bound of [
    'minLength',
    'maxLength',
    'minimum',
    'maximum',
    'minItems',
    'maxItems',
    'pattern',
  ] as const) {
    if (schema[bound] !== undefined)
      parts.push(`${bound} <code>${escapeHtml(schema[bound])}</code>`);
  }
  if (typeof schema.description === 'string') parts.push(`— ${escapeHtml(schema.description)}`);
  let out = parts.join(' ');
  if (schema.items !== undefined) out += ` of ${renderSchema(schema.items, depth + 1)}`;
  if (isObject(schema.properties)) {
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    out += '<ul class="s">';
    for (const [name, property] of Object.entries(schema.properties)) {
      out += `<li><code>${escapeHtml(name)}</code>${required.has(name) ? ' (required)' : ''}: ${renderSchema(property, depth + 1)}</li>`;
    }
    out += '</ul>';
  }
  return out;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** The reference page of an OpenAPI 3.1 document: operations grouped by tag, then schemas. */
export function renderReference(document: Json): string {
  const info = isObject(document.info) ? document.info : {};
  const paths = isObject(document.paths) ? document.paths : {};
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const tag = Array.isArray(op.tags) && typeof op.tags[0] === 'string' ? op.tags[0] : 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(method, path, op)]);
    }
  }
  const tagInfo = new Map(
    (Array.isArray(document.tags) ? document.tags : [])
      .filter(isObject)
      .map((t) => [String(t.name), typeof t.description === 'string' ? t.description : '']),
  );
  let html = `<h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>`;
  html += `<p>${escapeHtml(info.description ?? '')}</p>`;
  html +=
    '<p>Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI 3.1). Problems: <a href="/api/v1/problems">catalogue</a>. ';
  html +=
    'Authentication: <code>Authorization: Bearer vk_live_…</code> (an API key with the scopes each operation lists).</p>';
  for (const [tag, ops] of byTag) {
    html += `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2><p>${escapeHtml(tagInfo.get(tag) ?? '')}</p>${ops.join('')}`;
  }
  const components = isObject(document.components) ? document.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  html += '<h2>Schemas</h2>';
  for (const [name, schema] of Object.entries(schemas)) {
    html += `<div class="op" id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${renderSchema(schema)}</div>`;
  }
  return html;
}

function renderOperation(method: string, path: string, op: Json): string {
  let html = `<div class="op"><h3><span class="m">${escapeHtml(method)}</span><code>${escapeHtml(path)}</code></h3>`;
  if (op.summary !== undefined) html += `<p>${escapeHtml(op.summary)}</p>`;
  const security = Array.isArray(op.security) ? op.security.filter(isObject) : [];
  if (security.length > 0) {
    const options = security.map((s) =>
      Object.keys(s).length === 0
        ? 'none'
        : Object.entries(s)
            .map(
              ([scheme, scopes]) =>
                `${escapeHtml(scheme)} [${(Array.isArray(scopes) ? scopes : []).map((x) => `<code>${escapeHtml(x)}</code>`).join(', ')}]`,
            )
            .join(' + '),
    );
    html += `<p>Auth: ${options.join(' or ')}</p>`;
  }
  const parameters = Array.isArray(op.parameters) ? op.parameters.filter(isObject) : [];
  if (parameters.length > 0) {
    html += '<table><tr><th>Parameter</th><th>In</th><th>Schema</th></tr>';
    for (const p of parameters) {
      html += `<tr><td><code>${escapeHtml(p.name)}</code>${p.required === true ? ' (required)' : ''}</td><td>${escapeHtml(p.in)}</td><td>${renderSchema(p.schema)}</td></tr>`;
    }
    html += '</table>';
  }
  const body = isObject(op.requestBody) ? op.requestBody : null;
  if (body && isObject(body.content)) {
    for (const [type, media] of Object.entries(body.content)) {
      html += `<p>Body (<code>${escapeHtml(type)}</code>): ${renderSchema(isObject(media) ? media.schema : undefined)}</p>`;
    }
  }
  const responses = isObject(op.responses) ? op.responses : {};
  html += '<table><tr><th>Status</th><th>Description</th><th>Body</th></tr>';
  for (const [status, response] of Object.entries(responses)) {
    if (!isObject(response)) continue;
    const content = isObject(response.content) ? response.content : {};
    const bodies = Object.entries(content)
      .map(
        ([type, media]) =>
          `<code>${escapeHtml(type)}</code> ${renderSchema(isObject(media) ? media.schema : undefined)}`,
      )
      .join('<br>');
    html += `<tr><td>${escapeHtml(status)}</td><td>${escapeHtml(response.description ?? '')}</td><td>${bodies}</td></tr>`;
  }
  return `${html}</table></div>`;
}

export function referencePage(c: Context, document: Json): Response {
  return page(c, 'verikiosk API reference', renderReference(document));
}

/** The catalogue: every problem type, its status, meaning, and the domain errors that map to it. */
export function problemCataloguePage(c: Context, only?: ProblemCode): Response {
  const codes = only === undefined ? PROBLEM_CODES : [only];
  let html = `<h1>${only === undefined ? 'verikiosk problem types' : `Problem: ${escapeHtml(only)}`}</h1>`;
  html +=
    '<p>Every error of the API is <code>application/problem+json</code> (RFC 9457) with one of these <code>type</code>s, a <code>requestId</code> (also in <code>X-Request-Id</code>), and never a value the client sent. <a href="/api/v1/docs">API reference</a>.</p>';
  html +=
    '<table><tr><th>type</th><th>Status</th><th>Title</th><th>Meaning</th><th>Raised by</th></tr>';
  for (const code of codes) {
    const p = PROBLEMS[code];
    const sources = DOMAIN_ERRORS.filter((row) => row.types.includes(code)).map(
      (row) => `<code>${escapeHtml(row.error)}</code>`,
    );
    html += `<tr id="${escapeHtml(code)}"><td><a href="${escapeHtml(problemType(code))}"><code>${escapeHtml(problemType(code))}</code></a></td><td>${p.status}</td><td>${escapeHtml(p.title)}</td><td>${escapeHtml(p.description)}</td><td>${sources.join(', ')}</td></tr>`;
  }
  html += '</table>';
  return page(c, 'verikiosk problem types', html);
}
