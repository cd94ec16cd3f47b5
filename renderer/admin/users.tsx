/** Staff users and roles: create (first password shown once), change role, disable, unlock. */
import { useState } from 'preact/hooks';
import { ROLE_PERMISSIONS, STAFF_ROLES, type StaffRole } from '../../contract/index.js';
import { useConsole } from '../staff/console/context.js';
import { Feedback, Loaded, useAction, useLoad, When } from '../staff/console/ui.js';
import {
  createStaffUser,
  disableStaffUser,
  listStaffUsers,
  setStaffRole,
  unlockStaffUser,
} from './api.js';
import { ShownOnce } from './secret.js';

export function UsersScreen() {
  const { t, api, session } = useConsole();
  const [load, reload] = useLoad((signal) => listStaffUsers(api, signal), []);
  const action = useAction();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<StaffRole>('staff');
  const [created, setCreated] = useState<{ username: string; password: string } | null>(null);
  const create = async (event: Event) => {
    event.preventDefault();
    const result = await action.run(() => createStaffUser(api, username.trim(), role));
    if (result) {
      setCreated({ username: result.user.username, password: result.password });
      setUsername('');
      reload();
    }
  };
  const act = async (fn: () => Promise<unknown>, ok: string) => {
    if (await action.run(fn, ok)) reload();
  };
  return (
    <>
      <h1>{t('admin.users.title')}</h1>
      {created && (
        <ShownOnce
          label={t('admin.users.passwordLabel', { username: created.username })}
          secret={created.password}
          onDismiss={() => setCreated(null)}
        />
      )}
      <section aria-labelledby="user-create">
        <h2 id="user-create">{t('admin.users.create')}</h2>
        <form class="row" onSubmit={(e) => void create(e)}>
          <label class="field">
            <span>{t('admin.users.username')}</span>
            <input
              name="username"
              required
              maxLength={32}
              autocomplete="off"
              value={username}
              onInput={(e) => setUsername(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>{t('admin.users.role')}</span>
            <select
              name="role"
              value={role}
              onChange={(e) => setRole(e.currentTarget.value as StaffRole)}
            >
              {STAFF_ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`console.roles.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={action.busy}>
            {t('admin.users.submit')}
          </button>
        </form>
      </section>
      <section aria-labelledby="roles">
        <h2 id="roles">{t('admin.users.roles')}</h2>
        <dl>
          {STAFF_ROLES.map((r) => (
            <div key={r}>
              <dt>{t(`console.roles.${r}`)}</dt>
              <dd>
                {ROLE_PERMISSIONS[r].map((s) => (
                  <code key={s} class="badge">
                    {s}
                  </code>
                ))}
              </dd>
            </div>
          ))}
        </dl>
      </section>
      <Feedback message={action.message} />
      <section aria-labelledby="user-list">
        <h2 id="user-list">{t('admin.users.list')}</h2>
        <Loaded load={load}>
          {({ items }) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('admin.users.username')}</th>
                  <th scope="col">{t('admin.users.role')}</th>
                  <th scope="col">{t('admin.keys.created')}</th>
                  <th scope="col">{t('admin.keys.state')}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t('staff.queue.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((u) => (
                  <tr key={u.id}>
                    <td>{u.username}</td>
                    <td>
                      <select
                        aria-label={t('admin.users.roleOf', { username: u.username })}
                        value={u.role}
                        disabled={u.disabledAt !== null || u.id === session.user.id}
                        onChange={(e) =>
                          void act(
                            () => setStaffRole(api, u.id, e.currentTarget.value as StaffRole),
                            t('admin.users.roleChanged', { username: u.username }),
                          )
                        }
                      >
                        {STAFF_ROLES.map((r) => (
                          <option key={r} value={r}>
                            {t(`console.roles.${r}`)}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <When at={u.createdAt} />
                    </td>
                    <td>
                      {u.disabledAt
                        ? t('admin.users.disabled')
                        : u.lockedUntil
                          ? t('admin.users.locked')
                          : t('admin.keys.active')}
                    </td>
                    <td class="row">
                      {u.lockedUntil && !u.disabledAt && (
                        <button
                          type="button"
                          class="small secondary"
                          aria-label={t('admin.users.unlockNamed', { username: u.username })}
                          onClick={() =>
                            void act(() => unlockStaffUser(api, u.id), t('admin.users.unlocked'))
                          }
                        >
                          {t('admin.users.unlock')}
                        </button>
                      )}
                      {!u.disabledAt && u.id !== session.user.id && (
                        <button
                          type="button"
                          class="small danger"
                          aria-label={t('admin.users.disableNamed', { username: u.username })}
                          onClick={() =>
                            void act(() => disableStaffUser(api, u.id), t('admin.users.disabledOk'))
                          }
                        >
                          {t('admin.users.disable')}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loaded>
      </section>
    </>
  );
}
