/** The events a rollout notifies about (spec `notify.events`). Plain data, imported by the spec schema. */
export const NOTIFY_EVENTS = [
  'started',
  'wave_started',
  'wave_completed',
  'approval_needed',
  'stopped_budget',
  'stopped_window',
  'stopped_stalled',
  'cancelled',
  'completed',
  'failed',
] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];
