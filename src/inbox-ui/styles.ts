// The bell's and the feed's default look: one small stylesheet, added to the
// document once, themed by CSS custom properties and written against the
// stable class names an application may style itself instead.

import type { UiDocument } from './dom.ts';

export const STYLE_ID = 'userhub-styles';

/** Each variable's default is its fallback in var(): set one on an ancestor (or :root) and it wins. */
export const CSS = `
.userhub-bell{position:relative;display:inline-block;font:inherit}
.userhub-feed{color:var(--userhub-fg,#111827);background:var(--userhub-bg,#fff);font:inherit}
.userhub-bell__button{position:relative;display:inline-flex;align-items:center;justify-content:center;width:2.5rem;height:2.5rem;border:1px solid var(--userhub-border,#d1d5db);border-radius:var(--userhub-radius,8px);background:var(--userhub-bg,#fff);color:var(--userhub-fg,#111827);cursor:pointer}
.userhub-bell__button:focus-visible,.userhub-feed button:focus-visible,.userhub-item__link:focus-visible{outline:2px solid var(--userhub-accent,#1d4ed8);outline-offset:2px}
.userhub-bell__badge{position:absolute;top:-.4rem;right:-.4rem;min-width:1.25rem;padding:0 .3rem;border-radius:999px;background:var(--userhub-badge-bg,#b91c1c);color:var(--userhub-badge-fg,#fff);font-size:.75rem;line-height:1.25rem;text-align:center}
.userhub-popover{position:absolute;z-index:1000;left:var(--userhub-popover-left,0);right:var(--userhub-popover-right,auto);top:calc(100% + .5rem);width:var(--userhub-width,360px);max-height:70vh;overflow:auto;border:1px solid var(--userhub-border,#d1d5db);border-radius:var(--userhub-radius,8px);background:var(--userhub-bg,#fff);box-shadow:0 8px 24px rgb(0 0 0 / .15)}
.userhub-popover[hidden],.userhub-feed [hidden]{display:none}
.userhub-feed__header{display:flex;align-items:center;justify-content:space-between;gap:.5rem;padding:.5rem .75rem;border-bottom:1px solid var(--userhub-border,#d1d5db)}
.userhub-feed__title{margin:0;font-size:1rem}
.userhub-feed button{font:inherit;color:var(--userhub-accent,#1d4ed8);background:none;border:0;padding:.25rem .5rem;cursor:pointer}
.userhub-feed__list{list-style:none;margin:0;padding:0}
.userhub-item{display:flex;align-items:flex-start;gap:.25rem;padding:.5rem .75rem;border-bottom:1px solid var(--userhub-border,#d1d5db)}
.userhub-item--unread{background:var(--userhub-unread-bg,#eff6ff)}
.userhub-item__link{flex:1;display:block;color:inherit;text-decoration:none;cursor:pointer}
.userhub-item__marker{display:inline-block;width:.5rem;height:.5rem;margin-right:.4rem;border-radius:50%;background:var(--userhub-accent,#1d4ed8)}
.userhub-item__title{font-weight:600}
.userhub-item__body{display:block;margin:.15rem 0}
.userhub-item__time{color:var(--userhub-muted,#4b5563);font-size:.8125rem}
.userhub-feed__empty{margin:0;padding:1.5rem .75rem;color:var(--userhub-muted,#4b5563);text-align:center}
.userhub-feed__more{display:block;width:100%;padding:.5rem}
.userhub-visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
`;

/** Adds the stylesheet to `doc` unless it is there already. */
export function addStyles(doc: UiDocument): void {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement('style');
  style.id = STYLE_ID;
  style.textContent = CSS;
  doc.head.append(style);
}
