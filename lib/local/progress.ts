/**
 * Progress on stderr: a redrawn bar on a terminal, an occasional plain line otherwise (CI logs),
 * so long work always shows it is moving.
 */
export interface Progress {
  update(done: number, detail?: string): void;
  finish(detail?: string): void;
}

const WIDTH = 28;

export function progress(label: string, total: number | undefined, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  let lastLine = 0;
  const format = (done: number, detail = ''): string => {
    const seconds = (Date.now() - started) / 1000;
    const perSecond = seconds > 0 ? done / seconds : 0;
    const rate = seconds > 0 ? ` ${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toLocaleString('en-US')}/s` : '';
    if (total && total > 0) {
      const share = Math.min(1, done / total);
      const filled = Math.round(share * WIDTH);
      return `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.round(share * 100)}% ${detail}`.trimEnd();
    }
    return `${label} ${done.toLocaleString('en-US')}${rate} ${detail}`.trimEnd();
  };
  return {
    update(done, detail) {
      if (stream.isTTY) {
        stream.write(`\r${format(done, detail).padEnd(stream.columns ? stream.columns - 1 : 80)}`);
      } else if (Date.now() - lastLine > 5000) {
        lastLine = Date.now();
        stream.write(`${format(done, detail)}\n`);
      }
    },
    finish(detail) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const line = `${label} done in ${seconds} s${detail ? `: ${detail}` : ''}`;
      stream.write(stream.isTTY ? `\r${line.padEnd(stream.columns ? stream.columns - 1 : 80)}\n` : `${line}\n`);
    },
  };
}
