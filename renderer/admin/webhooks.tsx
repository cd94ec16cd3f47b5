/**
 * Webhooks: endpoints (create: the signing secret shown once; turn on or off; delete) and each
 * endpoint's delivery log (ids, codes, timings: never bodies) with redelivery of one delivery.
 */
import { useState } from 'preact/hooks';
import type { Webhook } from '../../contract/index.js';
import { useConsole } from '../staff/console/context.js';
import { ListTable, RowButton, Section, TextField } from '../staff/console/parts.js';
import { Feedback, useAction, useLoad, When } from '../staff/console/ui.js';
import {
  createWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  redeliver,
  setWebhookEnabled,
} from './api.js';
import { useShownOnce } from './secret.js';

export function WebhooksScreen() {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listWebhooks(api, signal), []);
  const action = useAction();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('*');
  const [description, setDescription] = useState('');
  const secret = useShownOnce();
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
      secret.show({
        label: ['admin.webhooks.secretLabel', { url: result.webhook.url }],
        secret: result.secret,
      });
      setUrl('');
      setDescription('');
      reload();
    }
  };
  const toggle = async (w: Webhook) => {
    if (await action.run(() => setWebhookEnabled(api, w.id, !w.enabled), 'admin.webhooks.updated'))
      reload();
  };
  const remove = async (w: Webhook) => {
    if (await action.run(() => deleteWebhook(api, w.id), 'admin.webhooks.deleted')) {
      if (selected === w.id) setSelected(null);
      reload();
    }
  };
  return (
    <>
      <h1>{t('admin.webhooks.title')}</h1>
      {secret.panel}
      <Section id="webhook-create" title={t('admin.webhooks.create')}>
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
            <TextField
              label={t('admin.webhooks.events')}
              name="events"
              required
              describedBy="events-hint"
              value={events}
              onValue={setEvents}
            />
            <TextField
              label={t('admin.webhooks.description')}
              name="description"
              maxLength={200}
              value={description}
              onValue={setDescription}
            />
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
      </Section>
      <Feedback message={action.message} />
      <Section id="webhook-list" title={t('admin.webhooks.list')}>
        <ListTable
          load={load}
          empty={t('admin.webhooks.none')}
          headers={[
            t('admin.webhooks.url'),
            t('admin.webhooks.events'),
            t('admin.keys.state'),
            t('admin.webhooks.pending'),
          ]}
          row={(w) => (
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
                <RowButton
                  aria-pressed={selected === w.id}
                  label={t('admin.webhooks.deliveriesOf', { url: w.url })}
                  onClick={() => setSelected(selected === w.id ? null : w.id)}
                >
                  {t('admin.webhooks.deliveries')}
                </RowButton>
                <RowButton
                  label={t(w.enabled ? 'admin.webhooks.disableOf' : 'admin.webhooks.enableOf', {
                    url: w.url,
                  })}
                  onClick={() => void toggle(w)}
                >
                  {t(w.enabled ? 'admin.webhooks.disable' : 'admin.webhooks.enable')}
                </RowButton>
                <RowButton
                  kind="danger"
                  label={t('admin.webhooks.deleteOf', { url: w.url })}
                  onClick={() => void remove(w)}
                >
                  {t('admin.webhooks.delete')}
                </RowButton>
              </td>
            </tr>
          )}
        />
      </Section>
      {selected && <Deliveries key={selected} webhookId={selected} />}
    </>
  );
}

function Deliveries({ webhookId }: { webhookId: string }) {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listDeliveries(api, webhookId, signal), [webhookId]);
  const action = useAction();
  const again = async (id: number) => {
    if (await action.run(() => redeliver(api, webhookId, id), 'admin.webhooks.redelivered'))
      reload();
  };
  return (
    <Section id="deliveries" title={t('admin.webhooks.deliveryLog')}>
      <Feedback message={action.message} />
      <ListTable
        load={load}
        empty={t('admin.webhooks.noDeliveries')}
        headers={[
          t('admin.webhooks.delivery'),
          t('admin.webhooks.event'),
          t('admin.keys.state'),
          t('admin.webhooks.attempts'),
          t('admin.webhooks.lastAttempt'),
          t('admin.webhooks.result'),
        ]}
        row={(d) => (
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
              <RowButton
                label={t('admin.webhooks.redeliverOf', { id: d.id })}
                onClick={() => void again(d.id)}
              >
                {t('admin.webhooks.redeliver')}
              </RowButton>
            </td>
          </tr>
        )}
      />
    </Section>
  );
}
