import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { StaffSessionDto } from '../../../contract/index.js';
import type { ApiClient } from '../../shared/api.js';
import type { Translator } from '../../shared/i18n/index.js';

/** What every console screen needs: the translator, the API client and the staff session. */
export interface Console {
  readonly i18n: Translator;
  readonly t: Translator['t'];
  readonly api: ApiClient;
  readonly session: StaffSessionDto;
  /** The page's route, as `#/<segments>` parsed (e.g. ['case', 'case_…']). */
  readonly route: readonly string[];
  readonly navigate: (hash: string) => void;
  /** Whether the session's role holds this scope (`admin` holds every scope). */
  readonly can: (scope: string) => boolean;
}

export const ConsoleContext = createContext<Console | null>(null);

export function useConsole(): Console {
  const value = useContext(ConsoleContext);
  if (value === null) throw new Error('useConsole outside a console page');
  return value;
}
