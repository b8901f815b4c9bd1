import { MemoryStore } from './memory.js';
import { kvConformance } from '../../../test/support/kv-conformance.js';

kvConformance({ name: 'memory', durable: false, open: async (_id, now) => new MemoryStore(now) });
