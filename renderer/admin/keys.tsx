/** API keys: list (never the key), create with scopes (the key shown once), revoke. */
import { useState } from 'preact/hooks';
import { API_SCOPES, type ApiScope } from '../../contract/index.js';
import { useConsole } from '../staff/console/context.js';
import { Feedback, Loaded, useAction, useLoad, When } from '../staff/console/ui.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api.js';
import { ShownOnce } from './secret.js';

export function ApiKeysScreen() {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listApiKeys(api, signal), []);
  const action = useAction();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiScope[]>(['verifications:read']);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const create = async (event: Event) => {
    event.preventDefault();
    const result = await action.run(() => createApiKey(api, { name: name.trim(), scopes }));
    if (result) {
      setCreated({ name: result.apiKey.name, key: result.key });
      setName('');
      reload();
    }
  };
  const revoke = async (id: string) => {
    if (await action.run(() => revokeApiKey(api, id), t('admin.keys.revoked'))) reload();
  };
  const toggle = (scope: ApiScope, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  return (
    <>
      <h1>{t('admin.keys.title')}</h1>
      {created && (
        <ShownOnce
          label={t('admin.keys.createdLabel', { name: created.name })}
          secret={created.key}
          onDismiss={() => setCreated(null)}
        />
      )}
      <section aria-labelledby="key-create">
        <h2 id="key-create">{t('admin.keys.create')}</h2>
        <form class="stack" onSubmit={(e) => void create(e)}>
          <label class="field">
            <span>{t('admin.keys.name')}</span>
            <input
              name="name"
              required
              maxLength={64}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
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
      </section>
      <Feedback message={action.message} />
      <section aria-labelledby="key-list">
        <h2 id="key-list">{t('admin.keys.list')}</h2>
        <Loaded load={load}>
          {({ items }) =>
            items.length === 0 ? (
              <p>{t('admin.keys.none')}</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('admin.keys.name')}</th>
                    <th scope="col">{t('admin.keys.prefix')}</th>
                    <th scope="col">{t('admin.keys.scopes')}</th>
                    <th scope="col">{t('admin.keys.created')}</th>
                    <th scope="col">{t('admin.keys.lastUsed')}</th>
                    <th scope="col">{t('admin.keys.state')}</th>
                    <th scope="col">
                      <span class="visually-hidden">{t('staff.queue.actions')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((key) => (
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
                      <td>
                        {key.revokedAt ? t('admin.keys.revokedState') : t('admin.keys.active')}
                      </td>
                      <td>
                        {!key.revokedAt && (
                          <button
                            type="button"
                            class="small danger"
                            aria-label={t('admin.keys.revokeNamed', { name: key.name })}
                            onClick={() => void revoke(key.id)}
                          >
                            {t('admin.keys.revoke')}
                          </button>
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
