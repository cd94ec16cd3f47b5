/**
 * The audit viewer: the chain's status (verified now by the core: entries proven, where it
 * breaks) and the entries newest first, a page at a time (GET /audit, /audit/status; audit:read).
 */
import { useState } from 'preact/hooks';
import { auditPage, auditStatus, type AuditEntryDto } from './audit-api.js';
import { useConsole } from './console/context.js';
import { Feedback, Loaded, useAction, useLoad, When } from './console/ui.js';

export function AuditScreen() {
  const { t, api, i18n } = useConsole();
  const [status, recheck] = useLoad((signal) => auditStatus(api, signal), [], {
    notFoundIsUnavailable: true,
  });
  const [first] = useLoad((signal) => auditPage(api, null, signal), [], {
    notFoundIsUnavailable: true,
  });
  const [more, setMore] = useState<{ items: AuditEntryDto[]; next: number | null } | null>(null);
  const action = useAction();
  const loadMore = async (before: number) => {
    const page = await action.run(() => auditPage(api, before));
    if (page) {
      setMore({ items: [...(more?.items ?? []), ...page.items], next: page.nextBefore });
    }
  };
  return (
    <>
      <h1>{t('staff.audit.title')}</h1>
      <section aria-labelledby="chain">
        <h2 id="chain">{t('staff.audit.chain')}</h2>
        <Loaded load={status}>
          {(s) => (
            <div class={s.ok ? '' : 'notice'}>
              <p>
                <strong class={s.ok ? 'ok' : 'error'}>
                  {s.ok ? t('staff.audit.intact') : t('staff.audit.broken')}
                </strong>
              </p>
              <p>
                {t('staff.audit.summary', {
                  entries: i18n.formatNumber(s.entries),
                  through: s.verifiedThrough === null ? '—' : i18n.formatNumber(s.verifiedThrough),
                })}
              </p>
              {!s.ok && (
                <p>
                  {t('staff.audit.breaksAt', {
                    seq: s.firstBadSeq ?? '—',
                    problem: s.problem ?? '—',
                  })}
                </p>
              )}
            </div>
          )}
        </Loaded>
        <button type="button" class="secondary" onClick={recheck}>
          {t('staff.audit.verifyAgain')}
        </button>
      </section>
      <section aria-labelledby="entries">
        <h2 id="entries">{t('staff.audit.entries')}</h2>
        <Loaded load={first}>
          {(page) => {
            const items = [...page.items, ...(more?.items ?? [])];
            const next = more ? more.next : page.nextBefore;
            return (
              <>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('staff.audit.seq')}</th>
                      <th scope="col">{t('staff.audit.at')}</th>
                      <th scope="col">{t('staff.audit.actor')}</th>
                      <th scope="col">{t('staff.audit.action')}</th>
                      <th scope="col">{t('staff.audit.object')}</th>
                      <th scope="col">{t('staff.audit.details')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((e) => (
                      <tr key={e.seq}>
                        <td>{e.seq}</td>
                        <td>
                          <When at={e.at} />
                        </td>
                        <td>
                          <code>{e.actor}</code>
                        </td>
                        <td>
                          <code>{e.action}</code>
                        </td>
                        <td>
                          {e.objectType ? (
                            <code>
                              {e.objectType}:{e.objectId ?? ''}
                            </code>
                          ) : (
                            '—'
                          )}
                        </td>
                        <td>
                          <code>{JSON.stringify(e.details)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {next !== null && (
                  <button type="button" class="secondary" onClick={() => void loadMore(next)}>
                    {t('staff.queue.more')}
                  </button>
                )}
              </>
            );
          }}
        </Loaded>
        <Feedback message={action.message} />
      </section>
    </>
  );
}
