// The stores features keep per user, made on first use (Kernel.part). In one
// place because features share them: Web Push reads the inbox's items.

import type { Kernel } from '../actor/kernel.ts';
import { Inbox } from '../actor/inbox.ts';
import { JobStore } from '../actor/jobs.ts';
import { PushStore } from '../actor/push.ts';
import { ReceiptOutbox } from '../actor/receipts.ts';
import { TicketLedger } from '../actor/ticket-ledger.ts';

export const inboxStore = (k: Kernel): Inbox => k.part('inbox', () => new Inbox(k.sql, k.owner));
export const jobStore = (k: Kernel): JobStore => k.part('jobs', () => new JobStore(k.sql, k.owner));
export const pushStore = (k: Kernel): PushStore => k.part('pushes', () => new PushStore(k.sql, k.owner));
export const receiptOutbox = (k: Kernel): ReceiptOutbox => k.part('outbox', () => new ReceiptOutbox(k.sql, k.owner));
export const ticketLedger = (k: Kernel): TicketLedger => k.part('tickets', () => new TicketLedger(k.sql, k.owner));
