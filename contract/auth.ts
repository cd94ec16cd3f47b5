import { z } from 'zod';
import { STAFF_ROLES } from './permissions.js';
import { ApiScopeSchema } from './scopes.js';

/** The cookie that carries a staff session (HttpOnly; Secure; SameSite=Strict; Path=/). */
export const SESSION_COOKIE = 'vk_session';
/** The header a cookie-authenticated write must carry: the session's `csrfToken`. */
export const CSRF_HEADER = 'x-csrf-token';

export const LoginSchema = z
  .strictObject({
    username: z.string().min(1).max(64),
    // Bounded: Argon2id takes any length, but a megabyte password is only a cost to the server.
    password: z.string().min(1).max(1024),
  })
  .meta({ id: 'Login' });
export type Login = z.infer<typeof LoginSchema>;

export const StaffRoleSchema = z.enum(STAFF_ROLES).meta({ id: 'StaffRole' });

export const StaffSessionSchema = z
  .object({
    user: z.object({ id: z.string(), username: z.string(), role: StaffRoleSchema }),
    /** The scopes the role holds (contract/permissions.ts); `admin` implies every other. */
    permissions: z.array(ApiScopeSchema),
    /** Send it as `X-CSRF-Token` with every POST, PUT, PATCH and DELETE made with the cookie. */
    csrfToken: z.string(),
    /** The absolute end of the session. */
    expiresAt: z.string(),
    /** The session ends here unless a request comes sooner. */
    idleExpiresAt: z.string(),
  })
  .meta({ id: 'StaffSession' });
export type StaffSessionDto = z.infer<typeof StaffSessionSchema>;
