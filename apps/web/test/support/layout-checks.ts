// Layout checks shared by the browser tests that look at a page at desktop and phone widths.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** The page never scrolls sideways, and every visible button fits on screen. */
export async function expectFitsWidth(page: Page, width: number) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const outside = await page.evaluate((limit) => {
    const scope = document.querySelector('dialog[open]') ?? document.querySelector('main') ?? document.body;
    return [...scope.querySelectorAll('button, input, select, textarea, a')]
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && (box.right > limit + 0.5 || box.left < -0.5);
      })
      .map((el) => el.outerHTML.slice(0, 80));
  }, width);
  expect(outside).toEqual([]);
  // Nor is anything cut off inside a table's frame (a column too many for the width).
  const clipped = await page.evaluate(() =>
    [...document.querySelectorAll('.table-frame')]
      .filter((frame) => frame.scrollWidth > frame.clientWidth)
      .map((frame) => frame.innerHTML.slice(0, 80)),
  );
  expect(clipped).toEqual([]);
}
