import * as fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { REASON_CODES, REASON_CODE_LIST } from '../../../contract/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, newAppliance } from './helpers.js';

afterEach(() => {
  closeAppliances();
  cleanupDirs();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('GET /api/v1/reason-codes', () => {
  it('serves the whole catalogue to anyone, in catalogue order, typed in the document', async () => {
    const { appliance } = await newAppliance();
    const response = await appliance.app.request('/api/v1/reason-codes');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Json[] };
    expect(body.data.map((entry) => entry.code as string)).toEqual(REASON_CODE_LIST);
    expect(body.data[0]).toEqual({
      code: REASON_CODE_LIST[0],
      ...REASON_CODES[REASON_CODE_LIST[0]!],
    });
    const doc = (await (await appliance.app.request('/api/v1/openapi.json')).json()) as Json;
    expect(doc.components.schemas.ReasonCode.enum).toEqual(REASON_CODE_LIST);
  });

  it('is documented in docs/reason-codes.md, one row per code', () => {
    const page = fs.readFileSync(new URL('../../../docs/reason-codes.md', import.meta.url), 'utf8');
    const rows = [...page.matchAll(/^\| `([a-z_]+)` +\|/gm)].map((m) => m[1]);
    expect(rows).toEqual(REASON_CODE_LIST);
  });
});
