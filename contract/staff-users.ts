import { z } from 'zod';
import { StaffRoleSchema } from './auth.js';

/** Staff users as the admin pages manage them (admin scope): never a password hash. */
export const StaffUserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    role: StaffRoleSchema,
    createdAt: z.string(),
    disabledAt: z.string().nullable(),
    /** Locked after failed logins until then; an admin may unlock. */
    lockedUntil: z.string().nullable(),
    mustChangePassword: z.boolean(),
  })
  .meta({ id: 'StaffUser' });
export type StaffUserDto = z.infer<typeof StaffUserSchema>;

export const StaffUserListSchema = z
  .object({ items: z.array(StaffUserSchema) })
  .meta({ id: 'StaffUserList' });

export const StaffUserCreateSchema = z
  .strictObject({
    /** 2-32 lowercase letters, digits, dots, dashes or underscores, starting with a letter. */
    username: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]{1,31}$/),
    role: StaffRoleSchema,
  })
  .meta({ id: 'StaffUserCreate' });
export type StaffUserCreate = z.infer<typeof StaffUserCreateSchema>;

export const StaffUserCreatedSchema = z
  .object({
    user: StaffUserSchema,
    /** A generated first password, shown this once: only its Argon2id hash is kept. */
    password: z.string(),
  })
  .meta({ id: 'StaffUserCreated' });

export const StaffUserUpdateSchema = z
  .strictObject({ role: StaffRoleSchema })
  .meta({ id: 'StaffUserUpdate' });

export const StaffUserIdParamsSchema = z.strictObject({
  id: z
    .string()
    .regex(/^usr_[0-9a-hjkmnp-tv-z]{26}$/)
    .meta({ param: { name: 'id', in: 'path' }, example: 'usr_01jf2m3k4n5p6q7r8s9t0v1w2x' }),
});
