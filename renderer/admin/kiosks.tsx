/** Kiosks and their tokens: register (token shown once), rotate the token, revoke. */
import { useState } from 'preact/hooks';
import { useConsole } from '../staff/console/context.js';
import { ListTable, RowButton, Section, TextField } from '../staff/console/parts.js';
import { Feedback, useAction, useLoad, When } from '../staff/console/ui.js';
import { createKiosk, listKiosks, revokeKiosk, rotateKioskToken } from './api.js';
import { useShownOnce } from './secret.js';

export function KiosksScreen() {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listKiosks(api, signal), []);
  const action = useAction();
  const [name, setName] = useState('');
  const [location, setLocation] = useState('');
  const token = useShownOnce();
  const showToken = (result: { kiosk: { name: string }; token: string }) =>
    token.show({
      label: ['admin.kiosks.tokenLabel', { name: result.kiosk.name }],
      secret: result.token,
    });
  const create = async (event: Event) => {
    event.preventDefault();
    const result = await action.run(() =>
      createKiosk(api, { name: name.trim(), location: location.trim() }),
    );
    if (result) {
      showToken(result);
      setName('');
      setLocation('');
      reload();
    }
  };
  const rotate = async (id: string) => {
    const result = await action.run(() => rotateKioskToken(api, id));
    if (result) {
      showToken(result);
      reload();
    }
  };
  const revoke = async (id: string) => {
    if (await action.run(() => revokeKiosk(api, id), 'admin.kiosks.revoked')) reload();
  };
  return (
    <>
      <h1>{t('admin.kiosks.title')}</h1>
      {token.panel}
      <Section id="kiosk-create" title={t('admin.kiosks.create')}>
        <form class="row" onSubmit={(e) => void create(e)}>
          <TextField
            label={t('admin.kiosks.name')}
            name="name"
            required
            maxLength={64}
            value={name}
            onValue={setName}
          />
          <TextField
            label={t('admin.kiosks.location')}
            name="location"
            required
            maxLength={120}
            value={location}
            onValue={setLocation}
          />
          <button type="submit" disabled={action.busy}>
            {t('admin.kiosks.submit')}
          </button>
        </form>
      </Section>
      <Feedback message={action.message} />
      <Section id="kiosk-list" title={t('admin.kiosks.list')}>
        <ListTable
          load={load}
          empty={t('admin.kiosks.none')}
          headers={[
            t('admin.kiosks.name'),
            t('admin.kiosks.location'),
            t('admin.kiosks.prefix'),
            t('admin.kiosks.lastSeen'),
            t('admin.keys.state'),
          ]}
          row={(k) => (
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
                    <RowButton
                      label={t('admin.kiosks.rotateNamed', { name: k.name })}
                      onClick={() => void rotate(k.id)}
                    >
                      {t('admin.kiosks.rotate')}
                    </RowButton>
                    <RowButton
                      kind="danger"
                      label={t('admin.kiosks.revokeNamed', { name: k.name })}
                      onClick={() => void revoke(k.id)}
                    >
                      {t('admin.keys.revoke')}
                    </RowButton>
                  </>
                )}
              </td>
            </tr>
          )}
        />
      </Section>
    </>
  );
}
