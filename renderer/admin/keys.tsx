/** API keys: list (never the key), create with scopes (the key shown once), revoke. */
import { useState } from 'preact/hooks';
import { API_SCOPES, type ApiScope } from '../../contract/index.js';
import { useConsole } from '../staff/console/context.js';
import { ListTable, RowButton, Section, TextField } from '../staff/console/parts.js';
import { Feedback, useAction, useLoad, When } from '../staff/console/ui.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api.js';
import { useShownOnce } from './secret.js';

export function ApiKeysScreen() {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listApiKeys(api, signal), []);
  const action = useAction();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiScope[]>(['verifications:read']);
  const created = useShownOnce();
  const create = async (event: Event) => {
    event.preventDefault();
    const result = await action.run(() => createApiKey(api, { name: name.trim(), scopes }));
    if (result) {
      created.show({
        label: ['admin.keys.createdLabel', { name: result.apiKey.name }],
        secret: result.key,
      });
      setName('');
      reload();
    }
  };
  const revoke = async (id: string) => {
    if (await action.run(() => revokeApiKey(api, id), 'admin.keys.revoked')) reload();
  };
  const toggle = (scope: ApiScope, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  return (
    <>
      <h1>{t('admin.keys.title')}</h1>
      {created.panel}
      <Section id="key-create" title={t('admin.keys.create')}>
        <form class="stack" onSubmit={(e) => void create(e)}>
          <TextField
            label={t('admin.keys.name')}
            name="name"
            required
            maxLength={64}
            value={name}
            onValue={setName}
          />
          <fieldset>
            <legend>{t('admin.keys.scopes')}</legend>
            <div class="row">
              {API_SCOPES.map((scope) => (
                <label key={scope} class="check">
                  <input
                    type="checkbox"
                    name="scope"
                    value={scope}
                    checked={scopes.includes(scope)}
                    onChange={(e) => toggle(scope, e.currentTarget.checked)}
                  />
                  <code>{scope}</code>
                </label>
              ))}
            </div>
          </fieldset>
          <div>
            <button type="submit" disabled={action.busy || scopes.length === 0}>
              {t('admin.keys.submit')}
            </button>
          </div>
        </form>
      </Section>
      <Feedback message={action.message} />
      <Section id="key-list" title={t('admin.keys.list')}>
        <ListTable
          load={load}
          empty={t('admin.keys.none')}
          headers={[
            t('admin.keys.name'),
            t('admin.keys.prefix'),
            t('admin.keys.scopes'),
            t('admin.keys.created'),
            t('admin.keys.lastUsed'),
            t('admin.keys.state'),
          ]}
          row={(key) => (
            <tr key={key.id}>
              <td>{key.name}</td>
              <td>
                <code>{key.keyPrefix}</code>
              </td>
              <td>
                {key.scopes.map((s) => (
                  <code key={s} class="badge">
                    {s}
                  </code>
                ))}
              </td>
              <td>
                <When at={key.createdAt} />
              </td>
              <td>
                <When at={key.lastUsedAt} />
              </td>
              <td>{key.revokedAt ? t('admin.keys.revokedState') : t('admin.keys.active')}</td>
              <td>
                {!key.revokedAt && (
                  <RowButton
                    kind="danger"
                    label={t('admin.keys.revokeNamed', { name: key.name })}
                    onClick={() => void revoke(key.id)}
                  >
                    {t('admin.keys.revoke')}
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
