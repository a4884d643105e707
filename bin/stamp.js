// What dist/ was built from: every file under src/ with its size and modification time, plus
// package.json. bin/plumage.js compares it with dist/BUILD.json before trusting dist/.
import fs from 'node:fs';
import path from 'node:path';

export function sourceStamp(root) {
  const entries = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = fs.statSync(p);
        entries.push(`${path.relative(root, p)}:${s.size}:${Math.trunc(s.mtimeMs)}`);
      }
    }
  };
  walk(path.join(root, 'src'));
  const pkg = fs.statSync(path.join(root, 'package.json'));
  entries.push(`package.json:${pkg.size}:${Math.trunc(pkg.mtimeMs)}`);
  return `${JSON.stringify(entries.sort())}\n`;
}
