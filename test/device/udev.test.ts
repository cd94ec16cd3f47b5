import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { KNOWN_DEVICES } from '../../device/manager/index.js';

const RULES = path.resolve(import.meta.dirname, '../../packaging/udev/70-verikiosk.rules');

/** A rule line as udev reads it: comma-separated KEY{attr}OP"value" pairs. */
const PAIR = /^\s*([A-Z_]+)(\{[A-Za-z0-9_]+\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*$/;
const MATCH_KEYS = new Set(['ACTION', 'SUBSYSTEM', 'KERNEL', 'ATTRS', 'ENV']);
const ASSIGN_KEYS = new Set(['MODE', 'GROUP', 'TAG', 'ENV', 'SYMLINK', 'GOTO', 'LABEL']);

describe('packaging/udev/70-verikiosk.rules', () => {
  const lines = readFileSync(RULES, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));

  it('every line is well-formed: known keys, match vs assignment operators, labels that exist', () => {
    const labels = new Set<string>();
    const gotos: string[] = [];
    for (const line of lines) {
      for (const pair of line.split(',')) {
        const m = PAIR.exec(pair);
        expect(m, pair).not.toBeNull();
        const [, key, , op, value] = m!;
        if (op === '==' || op === '!=') expect(MATCH_KEYS.has(key!), key).toBe(true);
        else expect(ASSIGN_KEYS.has(key!), key).toBe(true);
        if (key === 'LABEL') labels.add(value!);
        if (key === 'GOTO') gotos.push(value!);
        if (key === 'MODE') expect(value).toBe('0660');
        if (key === 'GROUP') expect(value).toBe('verikiosk');
      }
    }
    for (const label of gotos) expect(labels.has(label)).toBe(true);
  });

  it('grants hidraw access for every vendor of the device table, and keeps ModemManager off the ttys', () => {
    const text = lines.join('\n');
    const hidraw = lines.filter((l) => l.includes('SUBSYSTEM=="hidraw"')).join('\n');
    for (const row of KNOWN_DEVICES) {
      const vid = row.vendorId.toString(16).padStart(4, '0');
      expect(hidraw.includes(vid) || text.includes(`ATTRS{idVendor}=="${vid}`), vid).toBe(true);
    }
    for (const tty of lines.filter((l) => l.includes('SUBSYSTEM=="tty"'))) {
      expect(tty).toContain('ENV{ID_MM_DEVICE_IGNORE}="1"');
    }
  });
});
