import { refKey, refOf, refText, type ObjectRef } from './model/objects.js';
import type { RefusedObject } from './model/scope.js';
import type { Rendered } from './model/objects.js';
import { indexShape } from './sync/declared.js';
import { heldObjects } from './sync/prune.js';

/**
 * What one source declares, as its shell keeps it between reconciles: the adopted revision's
 * objects, those someone else owns (never written, pruned or guarded), those a refused prune
 * left live (still guarded and healed as last applied), and a generation that moves whenever
 * the source's index entries change.
 */
export class SourceObjects {
  /** Desired objects by refKey (heal and the index look up here). */
  #byKey = new Map<string, Rendered>();
  /** Declared objects outside what this source may write, at the adopted revision. */
  outOfScope: readonly RefusedObject[] = [];
  #foreign: ReadonlySet<string> = new Set();
  #held = new Map<string, Rendered>();
  /** What the last applied revision declared (with what it held), for a refused prune to keep. */
  #previous = new Map<string, Rendered>();
  #generation = 0;
  #shape = '';

  /** A new revision's objects. */
  adopt(rendered: readonly Rendered[], refused: readonly RefusedObject[]): void {
    this.outOfScope = refused;
    this.#foreign = new Set();
    this.#previous = new Map([...this.#held, ...this.#byKey]);
    this.#byKey = new Map(rendered.map((r) => [refKey(refOf(r.object)), r]));
    this.#generation++;
  }

  /** The index changed without a new revision (a guard record restored). */
  bump(): void {
    this.#generation++;
  }

  get generation(): number {
    return this.#generation;
  }

  /** What the apply found to be someone else's. */
  set foreign(keys: ReadonlySet<string>) {
    this.#foreign = keys;
  }

  /** A new generation when what the entries guard changed (`guardShape`: the guard's part). */
  reshape(guardShape: string): void {
    const shape = `${indexShape(this.#foreign, this.#held)}\0${guardShape}`;
    if (shape !== this.#shape) this.#generation++;
    this.#shape = shape;
  }

  /** Keep guarding what a refused prune left live; returns them for status. */
  hold(left: readonly ObjectRef[]): string[] {
    this.#held = heldObjects(left, this.#previous, this.#held);
    return [...this.#held.values()].map((r) => refText(refOf(r.object)));
  }

  /** The desired objects that are this source's to write and prune. */
  ours(desired: readonly Rendered[]): ObjectRef[] {
    return desired.map((r) => refOf(r.object)).filter((r) => !this.#foreign.has(refKey(r)));
  }

  /** What an object should look like (undefined: not this source's), for self-heal. */
  declared(key: string): Rendered | undefined {
    return this.#foreign.has(key) ? undefined : (this.#byKey.get(key) ?? this.#held.get(key));
  }

  /** The objects the index may guard: `guarded` of the desired ones, and the held ones. */
  guardable(desired: readonly Rendered[], guarded: (key: string) => boolean): Rendered[] {
    return [
      ...desired.filter((r) => guarded(refKey(refOf(r.object)))),
      ...this.#held.values(),
    ].filter((r) => !this.#foreign.has(refKey(refOf(r.object))));
  }
}
