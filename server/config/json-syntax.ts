/**
 * Finds where a JSON text stops being valid JSON (RFC 8259, as JSON.parse reads it).
 *
 * JSON.parse's own messages quote the text around the error, which may be a secret or a
 * value the admin typed, so config errors report a position and what was expected instead.
 * Iterative, so deeply nested input cannot overflow the stack.
 */

export interface JsonSyntaxProblem {
  /** UTF-16 offset of the first character that cannot be part of valid JSON (text.length at a premature end). */
  readonly offset: number;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, in UTF-16 code units. */
  readonly column: number;
  /** What the reader expected there, in words that never repeat the text: "',' or '}'", "a value". */
  readonly expected: string;
  readonly endOfInput: boolean;
}

type State = 'value' | 'value_or_close' | 'key' | 'key_or_close' | 'colon' | 'after_value';

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;
const SIMPLE_ESCAPES = '"\\/bfnrt';

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The first syntax error in `text`, or undefined when JSON.parse would accept it. */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  const n = text.length;
  const open: Array<'object' | 'array'> = [];
  let i = 0;
  let state: State = 'value';

  const problem = (expected: string): JsonSyntaxProblem => ({
    offset: i,
    ...lineAndColumn(text, i),
    expected,
    endOfInput: i >= n,
  });

  const skipWhitespace = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      i++;
    }
  };

  /** Reads a string starting at the opening quote; returns what was expected on failure. */
  const readString = (): string | undefined => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return 'a closing quote (control characters must be escaped)';
      if (c === 0x5c) {
        i++;
        if (i >= n) return 'an escape sequence';
        const escape = text.charAt(i);
        if (SIMPLE_ESCAPES.includes(escape)) {
          i++;
        } else if (escape === 'u') {
          HEX4.lastIndex = i + 1;
          if (!HEX4.test(text)) {
            i++;
            return 'four hexadecimal digits after \\u';
          }
          i += 5;
        } else {
          return 'a valid escape sequence';
        }
      } else {
        i++;
      }
    }
    return 'a closing quote';
  };

  const closeContainer = (): void => {
    open.pop();
    i++;
    state = 'after_value';
  };

  for (;;) {
    skipWhitespace();
    if (state === 'after_value' && open.length === 0) {
      return i < n ? problem('the end of the input') : undefined;
    }
    if (i >= n) {
      const expected: Record<State, string> = {
        value: 'a value',
        value_or_close: "a value or ']'",
        key: 'a property name in double quotes',
        key_or_close: "a property name in double quotes or '}'",
        colon: "':'",
        after_value: open.at(-1) === 'object' ? "',' or '}'" : "',' or ']'",
      };
      return problem(expected[state]);
    }
    const c = text.charAt(i);
    switch (state) {
      case 'value_or_close':
      case 'value': {
        if (state === 'value_or_close' && c === ']') {
          closeContainer();
          break;
        }
        if (c === '{') {
          open.push('object');
          i++;
          state = 'key_or_close';
        } else if (c === '[') {
          open.push('array');
          i++;
          state = 'value_or_close';
        } else if (c === '"') {
          const failed = readString();
          if (failed !== undefined) return problem(failed);
          state = 'after_value';
        } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
          i += 4;
          state = 'after_value';
        } else if (text.startsWith('false', i)) {
          i += 5;
          state = 'after_value';
        } else {
          NUMBER.lastIndex = i;
          if (!NUMBER.test(text))
            return problem(state === 'value_or_close' ? "a value or ']'" : 'a value');
          i = NUMBER.lastIndex;
          state = 'after_value';
        }
        break;
      }
      case 'key_or_close':
      case 'key': {
        if (state === 'key_or_close' && c === '}') {
          closeContainer();
          break;
        }
        if (c !== '"') {
          return problem(
            state === 'key_or_close'
              ? "a property name in double quotes or '}'"
              : 'a property name in double quotes',
          );
        }
        const failed = readString();
        if (failed !== undefined) return problem(failed);
        state = 'colon';
        break;
      }
      case 'colon': {
        if (c !== ':') return problem("':'");
        i++;
        state = 'value';
        break;
      }
      case 'after_value': {
        const container = open.at(-1);
        const close = container === 'object' ? '}' : ']';
        if (c === ',') {
          i++;
          state = container === 'object' ? 'key' : 'value';
        } else if (c === close) {
          closeContainer();
        } else {
          return problem(`',' or '${close}'`);
        }
        break;
      }
    }
  }
}
