import { createRoute } from '@hono/zod-openapi';
import {
  StaffUserCreateSchema,
  StaffUserCreatedSchema,
  StaffUserIdParamsSchema,
  StaffUserListSchema,
  StaffUserSchema,
  StaffUserUpdateSchema,
} from '../../../contract/index.js';
import {
  addStaffUser,
  disableStaffUser,
  generatePassword,
  getStaffUser,
  listStaffUsers,
  setStaffRole,
  unlockStaffUser,
} from '../../auth/index.js';
import type { Vault } from '../../vault/index.js';
import { requireScope } from '../middleware/auth.js';
import { apiRouter, json, securityOf, problemResponses } from '../openapi.js';
import { HttpError } from '../problem.js';
import { actorOf } from './api-keys.js';

const TAGS = ['staff-users'];
const SECURITY = securityOf('admin');

/**
 * Staff users and their roles (admin scope, audited by the auth module): list, create with a
 * generated first password shown once, change the role, disable, unlock. The same operations as
 * `verikiosk staff …`; the last active admin can be neither demoted nor disabled.
 */
export function staffUserRoutes(vault: Vault) {
  const admin = requireScope('admin', { vault });
  const base = { tags: TAGS, security: SECURITY, middleware: admin };
  const one = { params: StaffUserIdParamsSchema };
  const userResponse = (description: string) => ({
    200: { description, content: json(StaffUserSchema) },
    ...problemResponses(400, 401, 403, 404, 413, 422, 429),
  });
  const list = createRoute({
    ...base,
    method: 'get',
    path: '/staff-users',
    summary: 'Staff users and their roles',
    responses: {
      200: { description: 'Every staff user', content: json(StaffUserListSchema) },
      ...problemResponses(401, 403, 429),
    },
  });
  const create = createRoute({
    ...base,
    method: 'post',
    path: '/staff-users',
    summary: 'Create a staff user: the first password is generated and shown once',
    request: { body: { required: true, content: json(StaffUserCreateSchema) } },
    responses: {
      201: {
        description: 'Created; give the password to its user now',
        content: json(StaffUserCreatedSchema),
      },
      ...problemResponses(400, 401, 403, 413, 422, 429),
    },
  });
  const update = createRoute({
    ...base,
    method: 'patch',
    path: '/staff-users/{id}',
    summary: "Change a staff user's role (effective on their next request)",
    request: { ...one, body: { required: true, content: json(StaffUserUpdateSchema) } },
    responses: userResponse('The user with the new role'),
  });
  const disable = createRoute({
    ...base,
    method: 'post',
    path: '/staff-users/{id}/disable',
    summary: 'Disable a staff user: their sessions end',
    request: one,
    responses: userResponse('The user, disabled'),
  });
  const unlock = createRoute({
    ...base,
    method: 'post',
    path: '/staff-users/{id}/unlock',
    summary: 'Lift a login lock after failed logins',
    request: one,
    responses: userResponse('The user, unlocked'),
  });
  const known = (id: string) => {
    if (getStaffUser(vault, id) === null) {
      throw new HttpError(404, 'not_found', 'No such staff user.');
    }
    return id;
  };
  return apiRouter()
    .openapi(list, (c) => c.json({ items: listStaffUsers(vault) }, 200))
    .openapi(create, (c) => {
      const { username, role } = c.req.valid('json');
      const password = generatePassword();
      const user = addStaffUser(
        vault,
        { username, role, password, mustChangePassword: true },
        actorOf(c),
      );
      c.header('cache-control', 'no-store');
      return c.json({ user, password }, 201);
    })
    .openapi(update, (c) => {
      const id = known(c.req.valid('param').id);
      return c.json(setStaffRole(vault, id, c.req.valid('json').role, actorOf(c)), 200);
    })
    .openapi(disable, (c) =>
      c.json(disableStaffUser(vault, known(c.req.valid('param').id), actorOf(c)), 200),
    )
    .openapi(unlock, (c) =>
      c.json(unlockStaffUser(vault, known(c.req.valid('param').id), actorOf(c)), 200),
    );
}
