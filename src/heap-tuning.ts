// How much V8 lets the old generation grow between full collections, for a process that serves.
//
// Under a steady stream of uploads the old generation holds about 17 MB that stay (modules,
// caches, connections) and gains about 0.7 MB a second. After each full collection V8 set the
// next limit at about 2.5 times what survived, some 25 MB of room, and yet started marking
// again at once, from a task, with all that room still free (`--trace-incremental-marking`:
// "Start (task): 17MB / 43MB"): from the first full collection under load on, one ran every
// 120–370 ms, each taking 5–25 ms of the event loop and as much again on V8's helper threads,
// where the in-process sharp baseline of `npm run bench` spends nothing. (The room at which
// it stopped doing so, between 26 and 34 MB, is about the size of the grown young generation,
// 2 × 16 MB: presumably what V8 keeps free for one collection of it.) With a growing factor
// of 3 the room after a collection is about 35 MB and marking starts every few seconds instead
// (B3 at concurrency 4, 20 s: 70 full collections became 4, 57.0 → 61.2 uploads/s, about 1.5 ms
// less CPU per upload; docs/benchmarks.md). The price is memory: the heap may now grow to three
// times what survives, about 14 MB more resident memory at B4's peak.
//
// The factor is V8's `--heap-growing-percent` (growing factor = 1 + percent / 100), read each
// time V8 sets the limit, so setting it once the process runs takes effect at the next full
// collection. It is set only by `plumage serve` and only when node was not given the flag: the
// operator's choice wins (`node --heap-growing-percent=0 bin/plumage.js serve` restores V8's
// own). Node does not accept the flag in NODE_OPTIONS, so its arguments are the one place to look.
import v8 from 'node:v8';

/** V8's growing factor for the old generation while serving is 1 + this / 100. */
export const SERVING_HEAP_GROWING_PERCENT = 200;

const FLAG = /^--heap[-_]growing[-_]percent(?:=|$)/;

export interface HeapTuning {
  /** The flag set, or null when node's own arguments already name it. */
  applied: string | null;
}

/**
 * Sets the old generation's growing factor for serving, unless node's arguments (`execArgv`)
 * set `--heap-growing-percent` (or `--heap_growing_percent`) themselves.
 */
export function tuneHeapForServing(
  execArgv: readonly string[] = process.execArgv,
  setFlags: (flags: string) => void = v8.setFlagsFromString,
): HeapTuning {
  if (execArgv.some((arg) => FLAG.test(arg))) return { applied: null };
  const flag = `--heap-growing-percent=${SERVING_HEAP_GROWING_PERCENT}`;
  setFlags(flag);
  return { applied: flag };
}
