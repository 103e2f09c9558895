import { describe, expect, it } from 'vitest';
import { devConfigRefusal } from './dev-config.ts';

const h = (o: Record<string, string>) => new Headers(o);

describe('devConfigRefusal', () => {
  it('serves loopback hosts on the same origin', () => {
    expect(devConfigRefusal(h({ host: '127.0.0.1:3000', 'sec-fetch-site': 'same-origin' }))).toBeUndefined();
    expect(devConfigRefusal(h({ host: 'localhost:3000' }))).toBeUndefined();
    expect(devConfigRefusal(h({ host: '[::1]:3000', origin: 'http://[::1]:3000' }))).toBeUndefined();
  });

  it('refuses other hosts (DNS rebinding) and cross-site callers', () => {
    expect(devConfigRefusal(h({ host: 'evil.example:3000' }))).toMatch(/loopback/);
    expect(devConfigRefusal(h({ host: '192.168.1.5:3000' }))).toMatch(/loopback/);
    expect(devConfigRefusal(h({}))).toMatch(/loopback/);
    expect(devConfigRefusal(h({ host: '127.0.0.1:3000', 'sec-fetch-site': 'cross-site' }))).toMatch(/notebook itself/);
    expect(devConfigRefusal(h({ host: '127.0.0.1:3000', origin: 'http://127.0.0.1:8080' }))).toMatch(/notebook itself/);
  });
});
