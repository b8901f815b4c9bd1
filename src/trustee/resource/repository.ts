/**
 * Resource repository (the `resource` plugin's `kvstorage` backend): bytes under `repo/type/tag`
 * in namespace `repository`.
 * @module
 */
import { NotFound } from '../../core/index.js';
import { formatResourcePath, type ResourcePath } from '../../protocol/index.js';
import type { KvStore } from '../storage/kv.js';

export class ResourceRepository {
  private readonly store: KvStore;
  constructor(store: KvStore) {
    this.store = store;
  }

  /** The resource bytes; throws `NotFound`. */
  async read(path: ResourcePath): Promise<Uint8Array> {
    const value = await this.store.get('repository', formatResourcePath(path));
    if (!value) throw new NotFound(`resource ${formatResourcePath(path)} not found`);
    return value;
  }

  async write(path: ResourcePath, value: Uint8Array): Promise<void> {
    await this.store.set('repository', formatResourcePath(path), value);
  }

  /** Delete; throws `NotFound` when absent. */
  async remove(path: ResourcePath): Promise<void> {
    if (!(await this.store.delete('repository', formatResourcePath(path)))) throw new NotFound(`resource ${formatResourcePath(path)} not found`);
  }

  /** All resource paths, sorted. */
  async list(): Promise<string[]> {
    return this.store.list('repository');
  }
}
