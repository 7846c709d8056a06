// A tap reporter that passes the TAP stream through unchanged and appends the
// plain closing line `N passed, N failed` (read by CI) from tap's own final
// `# { total: ..., pass: ..., fail: ... }` comment.
import { Transform } from 'node:stream';

export default class SummaryReporter extends Transform {
  constructor() {
    super();
    this.tail = '';
  }
  _transform(chunk, _enc, cb) {
    const s = chunk.toString();
    this.tail = (this.tail + s).slice(-4096);
    cb(null, chunk);
  }
  _flush(cb) {
    const m = /#\s*\{\s*total:\s*(\d+),\s*pass:\s*(\d+)(?:,\s*fail:\s*(\d+))?(?:,\s*skip:\s*(\d+))?(?:,\s*todo:\s*(\d+))?/.exec(this.tail);
    let line;
    if (m) {
      const pass = Number(m[2]);
      const fail = Number(m[3] ?? 0);
      const skip = Number(m[4] ?? 0);
      line = `${pass} passed, ${fail} failed` + (skip ? `, ${skip} skipped` : '');
    } else {
      const fails = (this.tail.match(/^not ok /gm) ?? []).length;
      line = `0 passed, ${Math.max(1, fails)} failed`;
    }
    cb(null, `\n${line}\n`);
  }
}
