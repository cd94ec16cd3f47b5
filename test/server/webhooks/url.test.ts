import { describe, expect, it } from 'vitest';
import { VaultRuleError } from '../../../server/vault/index.js';
import { checkWebhookEvents, checkWebhookUrl } from '../../../server/webhooks/index.js';

const ruleOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (error) {
    return error instanceof VaultRuleError ? error.rule : 'other';
  }
};

describe('webhook URLs and event lists', () => {
  it('takes https anywhere and plain http to loopback only, unless allowInsecureHttp', () => {
    for (const ok of [
      'https://hooks.example/x',
      'http://127.0.0.1:8080/x',
      'http://127.9.9.9/x',
      'http://[::1]:9/x',
      'http://localhost/x',
    ]) {
      expect(
        ruleOf(() => checkWebhookUrl(ok, false)),
        ok,
      ).toBeNull();
    }
    expect(ruleOf(() => checkWebhookUrl('http://10.0.0.5/x', false))).toBe('url_insecure');
    expect(ruleOf(() => checkWebhookUrl('http://10.0.0.5/x', true))).toBeNull();
    expect(ruleOf(() => checkWebhookUrl('http://localhost.evil.example/x', false))).toBe(
      'url_insecure',
    );
    expect(ruleOf(() => checkWebhookUrl('file:///etc/passwd', true))).toBe('url_scheme');
    expect(ruleOf(() => checkWebhookUrl('https://a:b@hooks.example/', true))).toBe(
      'url_credentials',
    );
    expect(ruleOf(() => checkWebhookUrl(`https://h.example/${'a'.repeat(2048)}`, true))).toBe(
      'url',
    );
    expect(checkWebhookUrl('https://hooks.example/x#frag', false)).toBe('https://hooks.example/x');
  });

  it('takes known event types (sorted, deduplicated) or * alone', () => {
    expect(checkWebhookEvents(['subject.destroyed', 'retention.run', 'retention.run'])).toEqual([
      'retention.run',
      'subject.destroyed',
    ]);
    expect(checkWebhookEvents(['*', '*'])).toEqual(['*']);
    // reserved types may be subscribed to before anything emits them
    expect(checkWebhookEvents(['verification.decided'])).toEqual(['verification.decided']);
    expect(ruleOf(() => checkWebhookEvents([]))).toBe('events');
    expect(ruleOf(() => checkWebhookEvents(['*', 'retention.run']))).toBe('events');
    expect(ruleOf(() => checkWebhookEvents(['retention.ran']))).toBe('event_type');
  });
});
