/** Small pieces every console screen uses: loading state, problems, "not available", dates. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiProblem } from '../../shared/api.js';
import type { Translator } from '../../shared/i18n/index.js';
import { useConsole } from './context.js';

/**
 * A refusal in the reader's language: the rule it names when the catalogue knows it
 * (`console.rules.four_eyes`), else its problem code's message, else the code itself.
 */
export function problemMessage(problem: ApiProblem, t: Translator['t']): string {
  if (problem.rule !== null) {
    const ruleKey = `console.rules.${problem.rule}`;
    const rule = t(ruleKey);
    if (rule !== ruleKey) return rule;
  }
  const key = `console.problems.${problem.code}`;
  const text = t(key);
  return text === key ? t('console.problems.other', { code: problem.code }) : text;
}

export function ProblemText({ problem, t }: { problem: ApiProblem; t: Translator['t'] }) {
  return <>{problemMessage(problem, t)}</>;
}

export type Load<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'ok'; readonly value: T }
  /** 404 on a whole capability: this appliance does not serve it (yet). */
  | { readonly state: 'unavailable' }
  | { readonly state: 'error'; readonly problem: ApiProblem };

/** Loads with `fetcher` when `deps` change; `reload` loads again. */
export function useLoad<T>(
  fetcher: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  options: { notFoundIsUnavailable?: boolean } = {},
): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    fetcher(controller.signal).then(
      (value) => setLoad({ state: 'ok', value }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiProblem) {
          if (options.notFoundIsUnavailable && (error.status === 404 || error.status === 501)) {
            setLoad({ state: 'unavailable' });
          } else setLoad({ state: 'error', problem: error });
        } else setLoad({ state: 'error', problem: new ApiProblem(0, 'network', null, '') });
      },
    );
    return () => controller.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return [load, reload];
}

/** Renders a load: a polite status while loading, the problem or "not available" otherwise. */
export function Loaded<T>({
  load,
  children,
}: {
  load: Load<T>;
  children: (value: T) => ComponentChildren;
}) {
  if (load.state === 'loading') return <Loading />;
  if (load.state === 'unavailable') return <Unavailable />;
  if (load.state === 'error') return <ProblemAlert problem={load.problem} />;
  return <>{children(load.value)}</>;
}

/** "Loading", politely announced. */
export function Loading() {
  const { t } = useConsole();
  return (
    <p role="status" class="muted">
      {t('common.loading')}
    </p>
  );
}

/** A refusal or failure, announced at once, in the reader's language. */
export function ProblemAlert({ problem }: { problem: ApiProblem }) {
  const { t } = useConsole();
  return (
    <p role="alert" class="error">
      <ProblemText problem={problem} t={t} />
    </p>
  );
}

export function Unavailable() {
  const { t } = useConsole();
  return (
    <div class="notice" role="status">
      <p>
        <strong>{t('console.unavailable.title')}</strong>
      </p>
      <p>{t('console.unavailable.body')}</p>
    </div>
  );
}

export function When({ at }: { at: string | null }) {
  const { i18n, t } = useConsole();
  if (at === null) return <span class="muted">{t('console.never')}</span>;
  return <time dateTime={at}>{i18n.formatDate(at)}</time>;
}

/** A catalogue message by its key and parameters, rendered in the reader's language when shown. */
export interface MessageRef {
  readonly key: string;
  readonly params?: Readonly<Record<string, string | number>>;
}

/**
 * An action's outcome as data, not text: a catalogue message or the refusal itself, so a
 * language switch after the action re-renders it in the new language.
 */
export type ActionMessage =
  | { readonly kind: 'ok' | 'error'; readonly message: MessageRef }
  | { readonly kind: 'error'; readonly problem: ApiProblem };

/** The outcome of an action: a live region that announces it, in the language shown now. */
export function Feedback({ message }: { message: ActionMessage | null }) {
  const { t } = useConsole();
  const text =
    message === null
      ? ''
      : 'problem' in message
        ? problemMessage(message.problem, t)
        : t(message.message.key, message.message.params);
  return (
    <p
      role={message?.kind === 'error' ? 'alert' : 'status'}
      class={message?.kind === 'error' ? 'error' : 'ok'}
    >
      {text}
    </p>
  );
}

/**
 * Runs an API action; `ok` (a catalogue key, or key and parameters) is shown when it succeeds,
 * a refusal is shown as its problem, both rendered in whatever language is current.
 */
export function useAction() {
  const [message, setMessage] = useState<ActionMessage | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async <T,>(action: () => Promise<T>, ok?: string | MessageRef): Promise<T | undefined> => {
      setBusy(true);
      setMessage(null);
      try {
        const result = await action();
        if (ok !== undefined) {
          setMessage({ kind: 'ok', message: typeof ok === 'string' ? { key: ok } : ok });
        }
        return result;
      } catch (error) {
        const problem =
          error instanceof ApiProblem ? error : new ApiProblem(0, 'network', null, '');
        setMessage({ kind: 'error', problem });
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [],
  );
  return { message, busy, run, setMessage };
}
