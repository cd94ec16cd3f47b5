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
    /**
     * The user must change their password (POST /auth/password) before anything else: until
     * then every other route answers 403 `password_change_required`.
     */
    mustChangePassword: z.boolean(),
  })
  .meta({ id: 'StaffSession' });
export type StaffSessionDto = z.infer<typeof StaffSessionSchema>;

export const PasswordChangeSchema = z
  .strictObject({
    currentPassword: z.string().min(1).max(1024),
    /** At least 12 characters (server/auth MIN_PASSWORD_LENGTH), not the current one. */
    newPassword: z.string().min(1).max(1024),
  })
  .meta({ id: 'PasswordChange' });
export type PasswordChange = z.infer<typeof PasswordChangeSchema>;

export const StaffPinSchema = z
  .strictObject({
    currentPassword: z.string().min(1).max(1024),
    /** 6-12 digits, not one digit repeated nor a run (the core says which rule refused it). */
    pin: z.string().min(1).max(64),
  })
  .meta({ id: 'StaffPin' });
export type StaffPin = z.infer<typeof StaffPinSchema>;

export const KioskExitSchema = z
  .strictObject({ pin: z.string().regex(/^[0-9]{1,12}$/) })
  .meta({ id: 'KioskExit' });
export type KioskExit = z.infer<typeof KioskExitSchema>;

/** Whether the PIN opens the kiosk's exit; never whose PIN it was. */
export const KioskExitAnswerSchema = z
  .object({ allowed: z.boolean() })
  .meta({ id: 'KioskExitAnswer' });
export type KioskExitAnswer = z.infer<typeof KioskExitAnswerSchema>;
