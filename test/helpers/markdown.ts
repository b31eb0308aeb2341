// The fenced code blocks of the docs, for the tests that check or run them.

/** The fenced blocks of a Markdown file: info string, first line number, text. */
export function fencedBlocks(markdown: string): Array<{ info: string; line: number; text: string }> {
  const blocks: Array<{ info: string; line: number; text: string }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    while (++i < lines.length && lines[i] !== '```');
    blocks.push({ info: open[1]!.trim(), line: start + 1, text: lines.slice(start + 1, i).join('\n') });
  }
  return blocks;
}
