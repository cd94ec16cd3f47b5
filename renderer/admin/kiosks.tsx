/** Kiosks and their tokens: register (token shown once), rotate the token, revoke. */
import { useState } from 'preact/hooks';
import { useConsole } from '../staff/console/context.js';
import { Feedback, Loaded, useAction, useLoad, When } from '../staff/console/ui.js';
import { createKiosk, listKiosks, revokeKiosk, rotateKioskToken } from './api.js';
import { ShownOnce } from './secret.js';

export function KiosksScreen() {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listKiosks(api, signal), []);
  const action = useAction();
  const [name, setName] = useState('');
  const [location, setLocation] = useState('');
  const [token, setToken] = useState<{ name: string; token: string } | null>(null);
  const create = async (event: Event) => {
    event.preventDefault();
    const result = await action.run(() =>
      createKiosk(api, { name: name.trim(), location: location.trim() }),
    );
    if (result) {
      setToken({ name: result.kiosk.name, token: result.token });
      setName('');
      setLocation('');
      reload();
    }
  };
  const rotate = async (id: string) => {
    const result = await action.run(() => rotateKioskToken(api, id));
    if (result) {
      setToken({ name: result.kiosk.name, token: result.token });
      reload();
    }
  };
  const revoke = async (id: string) => {
    if (await action.run(() => revokeKiosk(api, id), t('admin.kiosks.revoked'))) reload();
  };
  return (
    <>
      <h1>{t('admin.kiosks.title')}</h1>
      {token && (
        <ShownOnce
          label={t('admin.kiosks.tokenLabel', { name: token.name })}
          secret={token.token}
          onDismiss={() => setToken(null)}
        />
      )}
      <section aria-labelledby="kiosk-create">
        <h2 id="kiosk-create">{t('admin.kiosks.create')}</h2>
        <form class="row" onSubmit={(e) => void create(e)}>
          <label class="field">
            <span>{t('admin.kiosks.name')}</span>
            <input
              name="name"
              required
              maxLength={64}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>{t('admin.kiosks.location')}</span>
            <input
              name="location"
              required
              maxLength={120}
              value={location}
              onInput={(e) => setLocation(e.currentTarget.value)}
            />
          </label>
          <button type="submit" disabled={action.busy}>
            {t('admin.kiosks.submit')}
          </button>
        </form>
      </section>
      <Feedback message={action.message} />
      <section aria-labelledby="kiosk-list">
        <h2 id="kiosk-list">{t('admin.kiosks.list')}</h2>
        <Loaded load={load}>
          {({ items }) =>
            items.length === 0 ? (
              <p>{t('admin.kiosks.none')}</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('admin.kiosks.name')}</th>
                    <th scope="col">{t('admin.kiosks.location')}</th>
                    <th scope="col">{t('admin.kiosks.prefix')}</th>
                    <th scope="col">{t('admin.kiosks.lastSeen')}</th>
                    <th scope="col">{t('admin.keys.state')}</th>
                    <th scope="col">
                      <span class="visually-hidden">{t('staff.queue.actions')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((k) => (
                    <tr key={k.id}>
                      <td>{k.name}</td>
                      <td>{k.location ?? '—'}</td>
                      <td>
                        <code>{k.tokenPrefix}</code>
                      </td>
                      <td>
                        <When at={k.lastSeenAt} />
                      </td>
                      <td>{k.revokedAt ? t('admin.keys.revokedState') : t('admin.keys.active')}</td>
                      <td class="row">
                        {!k.revokedAt && (
                          <>
                            <button
                              type="button"
                              class="small secondary"
                              aria-label={t('admin.kiosks.rotateNamed', { name: k.name })}
                              onClick={() => void rotate(k.id)}
                            >
                              {t('admin.kiosks.rotate')}
                            </button>
                            <button
                              type="button"
                              class="small danger"
                              aria-label={t('admin.kiosks.revokeNamed', { name: k.name })}
                              onClick={() => void revoke(k.id)}
                            >
                              {t('admin.keys.revoke')}
                            </button>
                          </>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
      </section>
    </>
  );
}
