import { createRoute, z } from '@hono/zod-openapi';
import {
  REASON_CODES,
  REASON_CODE_LIST,
  ReasonCodeEntrySchema,
  type ReasonCodeEntryDto,
} from '../../../contract/index.js';
import { apiRouter, problemResponses } from '../openapi.js';

const ReasonCodeListSchema = z
  .object({ data: z.array(ReasonCodeEntrySchema) })
  .meta({ id: 'ReasonCodeList' });

/** The catalogue in catalogue order: it holds no data, so anyone may read it. */
const CATALOGUE: ReasonCodeEntryDto[] = REASON_CODE_LIST.map((code) => ({
  code,
  ...REASON_CODES[code],
}));

/** `GET /reason-codes`: what each reason code of a decision means, for people and programs. */
export function reasonCodeRoutes() {
  const list = createRoute({
    method: 'get',
    path: '/reason-codes',
    tags: ['verifications'],
    summary: 'The reason-code catalogue: meaning, what the End-User is told, what staff should do',
    responses: {
      200: {
        description: 'Every reason code a decision may carry',
        content: { 'application/json': { schema: ReasonCodeListSchema } },
      },
      ...problemResponses(429),
    },
  });
  return apiRouter().openapi(list, (c) => c.json({ data: CATALOGUE }, 200));
}
