/** Staff users and roles: create (first password shown once), change role, disable, unlock. */
import { useState } from 'preact/hooks';
import { ROLE_PERMISSIONS, STAFF_ROLES, type StaffRole } from '../../contract/index.js';
import { useConsole } from '../staff/console/context.js';
import { ListTable, RowButton, Section, SelectField, TextField } from '../staff/console/parts.js';
import { Feedback, useAction, useLoad, When, type MessageRef } from '../staff/console/ui.js';
import {
  createStaffUser,
  disableStaffUser,
  listStaffUsers,
  setStaffRole,
  unlockStaffUser,
} from './api.js';
import { useShownOnce } from './secret.js';

export function UsersScreen() {
  const { t, api, session } = useConsole();
  const [load, reload] = useLoad((signal) => listStaffUsers(api, signal), []);
  const action = useAction();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<StaffRole>('staff');
  const created = useShownOnce();
  const create = async (event: Event) => {
    event.preventDefault();
    const result = await action.run(() => createStaffUser(api, username.trim(), role));
    if (result) {
      created.show({
        label: ['admin.users.passwordLabel', { username: result.user.username }],
        secret: result.password,
      });
      setUsername('');
      reload();
    }
  };
  const act = async (fn: () => Promise<unknown>, ok: string | MessageRef) => {
    if (await action.run(fn, ok)) reload();
  };
  return (
    <>
      <h1>{t('admin.users.title')}</h1>
      {created.panel}
      <Section id="user-create" title={t('admin.users.create')}>
        <form class="row" onSubmit={(e) => void create(e)}>
          <TextField
            label={t('admin.users.username')}
            name="username"
            required
            maxLength={32}
            autocomplete="off"
            value={username}
            onValue={setUsername}
          />
          <SelectField
            label={t('admin.users.role')}
            name="role"
            value={role}
            options={STAFF_ROLES}
            optionLabel={(r) => t(`console.roles.${r}`)}
            onValue={setRole}
          />
          <button type="submit" disabled={action.busy}>
            {t('admin.users.submit')}
          </button>
        </form>
      </Section>
      <Section id="roles" title={t('admin.users.roles')}>
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
      </Section>
      <Feedback message={action.message} />
      <Section id="user-list" title={t('admin.users.list')}>
        <ListTable
          load={load}
          headers={[
            t('admin.users.username'),
            t('admin.users.role'),
            t('admin.keys.created'),
            t('admin.keys.state'),
          ]}
          row={(u) => (
            <tr key={u.id}>
              <td>{u.username}</td>
              <td>
                <select
                  aria-label={t('admin.users.roleOf', { username: u.username })}
                  value={u.role}
                  disabled={u.disabledAt !== null || u.id === session.user.id}
                  onChange={(e) =>
                    void act(() => setStaffRole(api, u.id, e.currentTarget.value as StaffRole), {
                      key: 'admin.users.roleChanged',
                      params: { username: u.username },
                    })
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
                  <RowButton
                    label={t('admin.users.unlockNamed', { username: u.username })}
                    onClick={() =>
                      void act(() => unlockStaffUser(api, u.id), 'admin.users.unlocked')
                    }
                  >
                    {t('admin.users.unlock')}
                  </RowButton>
                )}
                {!u.disabledAt && u.id !== session.user.id && (
                  <RowButton
                    kind="danger"
                    label={t('admin.users.disableNamed', { username: u.username })}
                    onClick={() =>
                      void act(() => disableStaffUser(api, u.id), 'admin.users.disabledOk')
                    }
                  >
                    {t('admin.users.disable')}
                  </RowButton>
                )}
              </td>
            </tr>
          )}
        />
      </Section>
    </>
  );
}
