/**
 * Webhooks: endpoints (create: the signing secret shown once; turn on or off; delete) and each
 * endpoint's delivery log (ids, codes, timings: never bodies) with redelivery of one delivery.
 */
import { useState } from 'preact/hooks';
import type { Webhook } from '../../contract/index.js';
import { useConsole } from '../staff/console/context.js';
import { Feedback, Loaded, useAction, useLoad, When } from '../staff/console/ui.js';
import {
  createWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  redeliver,
  setWebhookEnabled,
} from './api.js';
import { ShownOnce } from './secret.js';

export function WebhooksScreen() {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listWebhooks(api, signal), []);
  const action = useAction();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('*');
  const [description, setDescription] = useState('');
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const create = async (event: Event) => {
    event.preventDefault();
    const list = events
      .split(/[\s,]+/)
      .map((e) => e.trim())
      .filter((e) => e !== '');
    const result = await action.run(() =>
      createWebhook(api, {
        url: url.trim(),
        events: list,
        ...(description.trim() ? { description: description.trim() } : {}),
      }),
    );
    if (result) {
      setSecret({ url: result.webhook.url, secret: result.secret });
      setUrl('');
      setDescription('');
      reload();
    }
  };
  const toggle = async (w: Webhook) => {
    if (
      await action.run(() => setWebhookEnabled(api, w.id, !w.enabled), t('admin.webhooks.updated'))
    )
      reload();
  };
  const remove = async (w: Webhook) => {
    if (await action.run(() => deleteWebhook(api, w.id), t('admin.webhooks.deleted'))) {
      if (selected === w.id) setSelected(null);
      reload();
    }
  };
  return (
    <>
      <h1>{t('admin.webhooks.title')}</h1>
      {secret && (
        <ShownOnce
          label={t('admin.webhooks.secretLabel', { url: secret.url })}
          secret={secret.secret}
          onDismiss={() => setSecret(null)}
        />
      )}
      <section aria-labelledby="webhook-create">
        <h2 id="webhook-create">{t('admin.webhooks.create')}</h2>
        <form class="stack" onSubmit={(e) => void create(e)}>
          <div class="row">
            <label class="field">
              <span>{t('admin.webhooks.url')}</span>
              <input
                name="url"
                type="url"
                required
                size={40}
                value={url}
                onInput={(e) => setUrl(e.currentTarget.value)}
              />
            </label>
            <label class="field">
              <span>{t('admin.webhooks.events')}</span>
              <input
                name="events"
                required
                aria-describedby="events-hint"
                value={events}
                onInput={(e) => setEvents(e.currentTarget.value)}
              />
            </label>
            <label class="field">
              <span>{t('admin.webhooks.description')}</span>
              <input
                name="description"
                maxLength={200}
                value={description}
                onInput={(e) => setDescription(e.currentTarget.value)}
              />
            </label>
          </div>
          <p id="events-hint" class="muted">
            {t('admin.webhooks.eventsHint')}
          </p>
          <div>
            <button type="submit" disabled={action.busy}>
              {t('admin.webhooks.submit')}
            </button>
          </div>
        </form>
      </section>
      <Feedback message={action.message} />
      <section aria-labelledby="webhook-list">
        <h2 id="webhook-list">{t('admin.webhooks.list')}</h2>
        <Loaded load={load}>
          {({ items }) =>
            items.length === 0 ? (
              <p>{t('admin.webhooks.none')}</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('admin.webhooks.url')}</th>
                    <th scope="col">{t('admin.webhooks.events')}</th>
                    <th scope="col">{t('admin.keys.state')}</th>
                    <th scope="col">{t('admin.webhooks.pending')}</th>
                    <th scope="col">
                      <span class="visually-hidden">{t('staff.queue.actions')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((w) => (
                    <tr key={w.id}>
                      <td>
                        <code>{w.url}</code>
                        {w.description && <div class="muted">{w.description}</div>}
                      </td>
                      <td>
                        {w.events.map((e) => (
                          <code key={e} class="badge">
                            {e}
                          </code>
                        ))}
                      </td>
                      <td>
                        {w.enabled
                          ? t('admin.webhooks.enabled')
                          : t(`admin.webhooks.disabled.${w.disabledReason ?? 'manual'}`)}
                      </td>
                      <td>{w.pendingDeliveries}</td>
                      <td class="row">
                        <button
                          type="button"
                          class="small secondary"
                          aria-pressed={selected === w.id}
                          aria-label={t('admin.webhooks.deliveriesOf', { url: w.url })}
                          onClick={() => setSelected(selected === w.id ? null : w.id)}
                        >
                          {t('admin.webhooks.deliveries')}
                        </button>
                        <button
                          type="button"
                          class="small secondary"
                          aria-label={t(
                            w.enabled ? 'admin.webhooks.disableOf' : 'admin.webhooks.enableOf',
                            {
                              url: w.url,
                            },
                          )}
                          onClick={() => void toggle(w)}
                        >
                          {t(w.enabled ? 'admin.webhooks.disable' : 'admin.webhooks.enable')}
                        </button>
                        <button
                          type="button"
                          class="small danger"
                          aria-label={t('admin.webhooks.deleteOf', { url: w.url })}
                          onClick={() => void remove(w)}
                        >
                          {t('admin.webhooks.delete')}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
      </section>
      {selected && <Deliveries key={selected} webhookId={selected} />}
    </>
  );
}

function Deliveries({ webhookId }: { webhookId: string }) {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listDeliveries(api, webhookId, signal), [webhookId]);
  const action = useAction();
  const again = async (id: number) => {
    if (await action.run(() => redeliver(api, webhookId, id), t('admin.webhooks.redelivered')))
      reload();
  };
  return (
    <section aria-labelledby="deliveries">
      <h2 id="deliveries">{t('admin.webhooks.deliveryLog')}</h2>
      <Feedback message={action.message} />
      <Loaded load={load}>
        {({ items }) =>
          items.length === 0 ? (
            <p>{t('admin.webhooks.noDeliveries')}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('admin.webhooks.delivery')}</th>
                  <th scope="col">{t('admin.webhooks.event')}</th>
                  <th scope="col">{t('admin.keys.state')}</th>
                  <th scope="col">{t('admin.webhooks.attempts')}</th>
                  <th scope="col">{t('admin.webhooks.lastAttempt')}</th>
                  <th scope="col">{t('admin.webhooks.result')}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t('staff.queue.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((d) => (
                  <tr key={d.id}>
                    <td>{d.id}</td>
                    <td>
                      <code>{d.eventType}</code> #{d.eventId}
                    </td>
                    <td>{t(`admin.webhooks.deliveryState.${d.state}`)}</td>
                    <td>{d.attempts}</td>
                    <td>
                      <When at={d.lastAttemptAt} />
                    </td>
                    <td>
                      {d.lastStatus ?? '—'} {d.lastError && <code>{d.lastError}</code>}
                    </td>
                    <td>
                      <button
                        type="button"
                        class="small secondary"
                        aria-label={t('admin.webhooks.redeliverOf', { id: d.id })}
                        onClick={() => void again(d.id)}
                      >
                        {t('admin.webhooks.redeliver')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </section>
  );
}
