/** Redraws a block of lines in place on a TTY; elsewhere prints a line only when it changed. */
export class LiveView {
  private drawn = 0;
  private lastPlain = '';
  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stdout) {}

  get isTty(): boolean {
    return this.out.isTTY === true;
  }

  update(lines: readonly string[], plain: string): void {
    if (this.isTty) {
      const columns = this.out.columns || 120;
      const clipped = lines.map((l) => (l.length > columns ? l.slice(0, columns - 1) : l));
      // Move to the start of the previous frame and clear it, then draw the new one.
      this.out.write(`${this.drawn ? `\x1b[${this.drawn}F\x1b[0J` : ''}${clipped.join('\n')}\n`);
      this.drawn = clipped.length;
    } else if (plain !== this.lastPlain) {
      this.out.write(`${plain}\n`);
      this.lastPlain = plain;
    }
  }

  /** Keeps the last frame on screen; later output starts below it. */
  done(): void {
    this.drawn = 0;
  }
}
