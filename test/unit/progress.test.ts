// The CLI progress reporter: a redrawn bar on a terminal, one plain line per tenth otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressReporter } from '../../src/cli/progress.ts';

function sink(isTTY: boolean) {
  const out = { isTTY, columns: 90, text: '', write(s: string) { out.text += s; } };
  return out;
}

test('not a terminal: one line per tenth of the work and one at the end, no carriage returns', () => {
  const out = sink(false);
  const p = new ProgressReporter('export', out);
  for (let i = 1; i <= 25; i++) p.update('writing archive', i, 25);
  p.update('writing archive', 25, 25);
  p.end();
  const lines = out.text.trimEnd().split('\n');
  assert.doesNotMatch(out.text, /\r|\x1b/);
  assert.equal(lines.at(-1), 'export: writing archive 25/25 (100%)');
  assert.equal(lines.filter((l) => l.endsWith('(100%)')).length, 1, 'the end is reported once');
  assert.ok(lines.length >= 10 && lines.length <= 11, out.text);
  for (const l of lines) assert.match(l, /^export: writing archive \d+\/25 \(\d+%\)$/);
});

test('a terminal: the bar is redrawn in place (at most ten times a second) and ends with a newline', () => {
  const out = sink(true);
  let now = 0;
  const p = new ProgressReporter('import', out, () => now);
  p.update('reading archive', 1, 4);
  p.update('reading archive', 2, 4); // within 100 ms: skipped
  now = 150;
  p.update('reading archive', 3, 4);
  p.update('reading archive', 4, 4); // the last one always drawn
  const draws = out.text.split('\r').filter((s) => s !== '');
  assert.equal(draws.length, 3, JSON.stringify(out.text));
  assert.match(draws[0]!, /^\x1b\[2Kimport: reading archive \[#+-+\] 25% 1\/4$/);
  assert.match(draws[2]!, /^\x1b\[2Kimport: reading archive \[#+\] 100% 4\/4\n$/);
  p.end();
  assert.ok(out.text.endsWith('4/4\n'), 'end() after a finished bar adds nothing');
});
