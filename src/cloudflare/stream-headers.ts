// Headers the Worker sets on its internal upgrade request to a UserHub. The
// object is only reachable through its binding, so clients cannot send these.

export const STREAM_HEADERS = {
  transport: 'x-hub-transport',
  after: 'x-hub-after',
  /** A long poll's page size: the replay stops one event past it. */
  limit: 'x-hub-limit',
  ticketNonce: 'x-hub-ticket-nonce',
  ticketExp: 'x-hub-ticket-exp',
  /** The credential it opened with: user, session end and issue time (seconds). */
  credentialUser: 'x-hub-user',
  credentialExp: 'x-hub-session-exp',
  credentialIat: 'x-hub-issued-at',
  jobId: 'x-hub-job',
  jobVersion: 'x-hub-job-version',
} as const;
