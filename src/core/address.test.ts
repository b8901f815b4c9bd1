import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isLoopbackAddress } from './address.js';

describe('isLoopbackAddress', () => {
  test('accepts 127.0.0.0/8, ::1 (bracketed or not) and IPv4-mapped loopback', () => {
    for (const a of ['127.0.0.1', '127.9.8.7', '::1', '[::1]', '::ffff:127.0.0.1', '::FFFF:127.0.0.2']) assert.equal(isLoopbackAddress(a), true, a);
  });

  test('refuses other addresses, names and nothing', () => {
    for (const a of ['0.0.0.0', '10.0.0.1', '::', '128.0.0.1', '::ffff:10.0.0.1', 'localhost', '127.0.0.1.example', '', undefined]) assert.equal(isLoopbackAddress(a), false, String(a));
  });
});
