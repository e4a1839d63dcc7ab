// Run by the packaging check in an empty project where only @history/contract-tests is installed.
import assert from 'node:assert/strict';
import { envelope, runHistoryStoreContract } from '@history/contract-tests';

assert.equal(typeof runHistoryStoreContract, 'function');
assert.equal(envelope(1).id, 'evt-1');
console.log('@history/contract-tests smoke ok');
