/**
 * Building blocks the console and admin screens share: a titled section, labelled fields, a list
 * table with its loading, problem and empty states, and the small buttons in a table row.
 */
import type { ButtonHTMLAttributes, ComponentChildren } from 'preact';
import { useConsole } from './context.js';
import { Loaded, type Load } from './ui.js';

/** A section named by its heading (`aria-labelledby` the `h2` with `id`). */
export function Section({
  id,
  title,
  children,
}: {
  id: string;
  title: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A labelled text input; `onValue` gets what was typed. */
export function TextField({
  label,
  value,
  onValue,
  name,
  required,
  maxLength,
  size,
  autocomplete,
  describedBy,
}: {
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  name: string;
  required?: boolean;
  maxLength?: number;
  size?: number;
  autocomplete?: 'off' | 'username';
  /** The id of a hint that describes the field. */
  describedBy?: string;
}) {
  return (
    <label class="field">
      <span>{label}</span>
      <input
        name={name}
        required={required}
        maxLength={maxLength}
        size={size}
        autocomplete={autocomplete}
        aria-describedby={describedBy}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </label>
  );
}

/**
 * A labelled password (or PIN) input, required: the console's one password field (login,
 * password change, the kiosk PIN). `autocomplete` tells password managers what it holds.
 */
export function PasswordField({
  label,
  value,
  onValue,
  name,
  autocomplete,
  minLength,
  maxLength,
  pattern,
  numeric,
  describedBy,
}: {
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  name: string;
  autocomplete: 'current-password' | 'new-password' | 'off';
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  /** Digits only (a PIN): a numeric keyboard on touch screens. */
  numeric?: boolean;
  /** The id of a hint that describes the field. */
  describedBy?: string;
}) {
  return (
    <label class="field">
      <span>{label}</span>
      <input
        name={name}
        type="password"
        inputMode={numeric ? 'numeric' : undefined}
        autocomplete={autocomplete}
        pattern={pattern}
        minLength={minLength}
        maxLength={maxLength}
        required
        aria-describedby={describedBy}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </label>
  );
}

/** A labelled choice among `options`, each shown as `optionLabel(option)`. */
export function SelectField<V extends string>({
  label,
  name,
  value,
  options,
  optionLabel,
  onValue,
}: {
  label: ComponentChildren;
  name: string;
  value: V;
  options: readonly V[];
  optionLabel: (option: V) => string;
  onValue: (value: V) => void;
}) {
  return (
    <label class="field">
      <span>{label}</span>
      <select name={name} value={value} onChange={(e) => onValue(e.currentTarget.value as V)}>
        {options.map((option) => (
          <option key={option} value={option}>
            {optionLabel(option)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A table with column headers and a last, visually hidden "actions" column. */
export function Table({
  headers,
  caption,
  children,
}: {
  headers: readonly string[];
  caption?: string;
  children: ComponentChildren;
}) {
  const { t } = useConsole();
  return (
    <table>
      {caption !== undefined && <caption class="visually-hidden">{caption}</caption>}
      <thead>
        <tr>
          {headers.map((header, i) => (
            <th key={i} scope="col">
              {header}
            </th>
          ))}
          <th scope="col">
            <span class="visually-hidden">{t('staff.queue.actions')}</span>
          </th>
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/**
 * A loaded list as a table: loading and problems as `Loaded` shows them, `empty` (when given) in
 * place of a table without rows, else one `row` per item.
 */
export function ListTable<T>({
  load,
  empty,
  headers,
  row,
}: {
  load: Load<{ readonly items: readonly T[] }>;
  empty?: string;
  headers: readonly string[];
  row: (item: T) => ComponentChildren;
}) {
  return (
    <Loaded load={load}>
      {({ items }) =>
        items.length === 0 && empty !== undefined ? (
          <p>{empty}</p>
        ) : (
          <Table headers={headers}>{items.map(row)}</Table>
        )
      }
    </Loaded>
  );
}

type ButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type' | 'class' | 'label'>;

/** A small button in a table row, named for its row by `label` (its `aria-label`). */
export function RowButton({
  label,
  kind = 'secondary',
  children,
  ...button
}: ButtonProps & {
  label: string;
  kind?: 'secondary' | 'danger';
  children: ComponentChildren;
}) {
  return (
    <button {...button} type="button" class={`small ${kind}`} aria-label={label}>
      {children}
    </button>
  );
}
