// @ts-check
// Every change the page can make, each behind a dialog that says what it will do. Each resolves
// with what the service answered, or null when the operator cancelled.

import {
  ApiError,
  createWebhook,
  deleteWebhook,
  endSession,
  recover,
  redeliver,
  rotateSecret,
  sendTest,
  updateWebhook,
} from './api.js';
import { field, openDialog, showSecret } from './dialogs.js';
import { el, fromLocalInput, toLocalInput } from './dom.js';

/** @typedef {import('../api-types.js').Channel} Channel */
/** @typedef {import('../api-types.js').CreateWebhookBody} CreateWebhookBody */
/** @typedef {import('../api-types.js').Delivery} Delivery */
/** @typedef {import('../api-types.js').EventSubscription} EventSubscription */
/** @typedef {import('../api-types.js').Webhook} Webhook */
/** @typedef {import('../api-types.js').WebhookSummary} WebhookSummary */

const EVENTS = ['channel_live', 'channel_stop', 'channel_ended'];
/** About the webhooks themselves: never in `all`, each chosen by name. */
const OPERATIONAL_EVENTS = [
  'webhook_failing',
  'webhook_recovered',
  'webhook_disabled',
  'delivery_exhausted',
];

/** @param {string} text */
const code = (text) => el('code', {}, text);

// ---------------------------------------------------------------------------------------------
// Create and edit

/**
 * The event checkboxes, `selected` checked.
 * @param {string[]} selected
 */
function eventBoxes(selected) {
  const all = selected.includes('all');
  /**
   * @param {string} name
   * @param {boolean} checked
   * @param {string} [label]
   */
  const box = (name, checked, label) =>
    el(
      'label',
      { className: 'check' },
      el('input', {
        data: { event: name },
        attrs: { type: 'checkbox', name: 'event', value: name, checked },
      }),
      label ?? name,
    );
  return el(
    'fieldset',
    { className: 'events' },
    el('legend', {}, 'Events'),
    box('all', all, 'all (every channel event, also ones added later)'),
    EVENTS.map((name) => box(name, !all && selected.includes(name))),
    el('span', { className: 'muted small' }, 'Operational (about other webhooks, by name only):'),
    OPERATIONAL_EVENTS.map((name) => box(name, selected.includes(name))),
  );
}

/**
 * "Name: value" lines; a line that is not is refused before anything is sent.
 * @param {string} text
 */
function parseHeaders(text) {
  /** @type {Record<string, string>} */
  const headers = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`"${line.trim()}" is not a "Name: value" header line`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * The form's values as the service takes them; `editing` leaves empty headers alone.
 * @param {HTMLFormElement} form
 * @param {boolean} editing
 */
function formValues(form, editing) {
  const checked = [
    .../** @type {NodeListOf<HTMLInputElement>} */ (
      form.querySelectorAll('input[name="event"]:checked')
    ),
  ].map((input) => input.value);
  const rateLimit = /** @type {HTMLInputElement} */ (
    form.elements.namedItem('rateLimit')
  ).value.trim();
  const channels = /** @type {HTMLInputElement} */ (form.elements.namedItem('channels')).value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  /** @type {CreateWebhookBody} */
  const body = {
    uri: /** @type {HTMLInputElement} */ (form.elements.namedItem('uri')).value.trim(),
    // the values of the checkboxes: event names and `all`
    event: /** @type {EventSubscription[]} */ (
      checked.includes('all')
        ? ['all', ...checked.filter((name) => OPERATIONAL_EVENTS.includes(name))]
        : checked
    ),
    rateLimit: rateLimit === '' ? null : Number(rateLimit),
    channels: channels.length === 0 ? null : channels,
  };
  const headersText = /** @type {HTMLTextAreaElement} */ (form.elements.namedItem('headers')).value;
  const clear = /** @type {HTMLInputElement | null} */ (form.elements.namedItem('clearHeaders'))
    ?.checked;
  if (clear) body.headers = null;
  else if (headersText.trim() || !editing) body.headers = parseHeaders(headersText);
  return body;
}

/**
 * The fields of the create and edit forms; `webhook` to edit, undefined to create.
 * @param {Webhook | undefined} webhook
 */
function webhookForm(webhook) {
  const editing = webhook !== undefined;
  const headerNames = Object.keys(webhook?.headers ?? {});
  return [
    field(
      'URL',
      el('input', {
        attrs: {
          name: 'uri',
          type: 'url',
          value: webhook?.uri ?? '',
          placeholder: 'https://app.example.com/hooks/live',
          autocomplete: 'off',
          spellcheck: 'false',
        },
        testid: 'form-uri',
      }),
      'Where the callbacks are POSTed (http or https).',
    ),
    eventBoxes(webhook?.event ?? ['all']),
    field(
      'Channels',
      el('input', {
        testid: 'form-channels',
        attrs: {
          name: 'channels',
          type: 'text',
          value: webhook?.channels?.join(', ') ?? '',
          placeholder: 'every channel',
          autocomplete: 'off',
          spellcheck: 'false',
        },
      }),
      'Channel ids separated by commas: only their events are sent here. Empty: every channel.',
    ),
    field(
      'Rate limit (deliveries per second)',
      el('input', {
        testid: 'form-rate-limit',
        attrs: {
          name: 'rateLimit',
          type: 'number',
          min: 1,
          max: 10000,
          value: webhook?.rateLimit ?? '',
          placeholder: 'no limit',
        },
      }),
      'Empty: no limit.',
    ),
    field(
      'Headers of your own',
      el('textarea', {
        testid: 'form-headers',
        attrs: {
          name: 'headers',
          rows: 3,
          spellcheck: 'false',
          placeholder: 'Authorization: Bearer …',
        },
      }),
      editing
        ? `One "Name: value" per line. Empty: keep the current ones${headerNames.length ? ` (${headerNames.join(', ')}; values are never shown again)` : ' (none)'}; lines given replace them all.`
        : 'One "Name: value" per line, sent with every callback.',
    ),
    editing && headerNames.length
      ? el(
          'label',
          { className: 'check' },
          el('input', { attrs: { type: 'checkbox', name: 'clearHeaders' } }),
          'Remove all custom headers',
        )
      : null,
  ];
}

/** Asks for a new webhook and creates it; shows its secret once. */
export async function createWebhookAction() {
  const created = await openDialog({
    title: 'New webhook',
    testid: 'webhook-form',
    body: [
      el('p', {}, 'The service signs every callback with a secret it generates; you see it once.'),
      ...webhookForm(undefined),
    ],
    confirmLabel: 'Create webhook',
    onConfirm: (form) => createWebhook(formValues(form, false)),
  });
  if (created)
    await showSecret(
      'Webhook created: its signing secret',
      created.secret,
      'Keep this secret with your receiver to check the webhook-signature header. It is not shown again.',
    );
  return created;
}

/** @param {Webhook} webhook */
export const editWebhookAction = (webhook) =>
  openDialog({
    title: `Edit webhook ${webhook.id}`,
    testid: 'webhook-form',
    body: webhookForm(webhook),
    confirmLabel: 'Save changes',
    onConfirm: (form) => updateWebhook(webhook.id, formValues(form, true)),
  });

// ---------------------------------------------------------------------------------------------
// One-click actions, confirmed

/** @param {Webhook} webhook */
export const deleteWebhookAction = (webhook) =>
  openDialog({
    title: `Delete webhook ${webhook.id}?`,
    danger: true,
    body: [
      el('p', {}, 'This deletes the webhook sending to ', code(webhook.uri), '.'),
      el(
        'p',
        {},
        'It gets no more callbacks; its open deliveries are not sent and its delivery log goes with it. This cannot be undone.',
      ),
    ],
    confirmLabel: 'Delete webhook',
    onConfirm: () => deleteWebhook(webhook.id),
  });

/** @param {Webhook} webhook */
export const pauseAction = (webhook) =>
  openDialog({
    title: `Pause webhook ${webhook.id}?`,
    body: [
      el('p', {}, 'No callbacks will be sent to ', code(webhook.uri), ' until you resume it.'),
      el('p', {}, 'Events raised while it is paused are not delivered to it.'),
    ],
    confirmLabel: 'Pause',
    onConfirm: () => updateWebhook(webhook.id, { active: false }),
  });

/** @param {WebhookSummary} webhook */
export const resumeAction = (webhook) =>
  openDialog({
    title: `Resume webhook ${webhook.id}?`,
    body: [
      el('p', {}, 'Callbacks go to ', code(webhook.uri), ' again from the next event on.'),
      webhook.disabledReason
        ? el('p', {}, `The service had disabled it: ${webhook.disabledReason}.`)
        : null,
    ],
    confirmLabel: 'Resume',
    onConfirm: () => updateWebhook(webhook.id, { active: true }),
  });

/** @param {Webhook} webhook */
export const sendTestAction = (webhook) =>
  openDialog({
    title: `Send a test to webhook ${webhook.id}?`,
    body: [
      el(
        'p',
        {},
        'Sends one signed ',
        code('{"event":"ping",…}'),
        ' to ',
        code(webhook.uri),
        ', in one attempt, logged like any delivery.',
      ),
    ],
    confirmLabel: 'Send test',
    onConfirm: () => sendTest(webhook.id),
  });

/** @param {Webhook} webhook */
export async function rotateSecretAction(webhook) {
  const rotated = await openDialog({
    title: `Rotate the secret of webhook ${webhook.id}?`,
    body: [
      el('p', {}, 'A new signing secret is made and shown once.'),
      el(
        'p',
        {},
        'For a grace period (WEBHOOK_SECRET_GRACE) callbacks carry signatures of both the old and the new secret, so your receiver can switch over.',
      ),
    ],
    confirmLabel: 'Rotate secret',
    onConfirm: () => rotateSecret(webhook.id),
  });
  if (rotated)
    await showSecret(
      `New signing secret of webhook ${webhook.id}`,
      rotated.secret,
      'Copy it to your receiver now: it is not shown again.',
    );
  return rotated;
}

/** @param {Webhook} webhook */
export function recoverAction(webhook) {
  const since = new Date(Date.now() - 24 * 3_600_000);
  return openDialog({
    title: `Recover failed deliveries of webhook ${webhook.id}`,
    body: [
      el(
        'p',
        {},
        'Every failed delivery created in this time range gets one more attempt, same message id, per channel in its original order. Test pings are left alone.',
      ),
      field(
        'Since (your time)',
        el('input', {
          testid: 'recover-since',
          attrs: { name: 'since', type: 'datetime-local', step: 1, value: toLocalInput(since) },
        }),
      ),
      field(
        'Until (your time)',
        el('input', {
          testid: 'recover-until',
          attrs: { name: 'until', type: 'datetime-local', step: 1 },
        }),
        'Empty: up to now.',
      ),
    ],
    confirmLabel: 'Recover failed deliveries',
    onConfirm: (form) =>
      recover(
        webhook.id,
        fromLocalInput(/** @type {HTMLInputElement} */ (form.elements.namedItem('since')).value),
        fromLocalInput(/** @type {HTMLInputElement} */ (form.elements.namedItem('until')).value) ||
          undefined,
      ),
  });
}

/**
 * @param {string} webhookId
 * @param {Pick<Delivery, 'id' | 'messageId' | 'event' | 'channelId'>} delivery
 * @param {string} [uri] the webhook's, when the page knows it
 */
export const redeliverAction = (webhookId, delivery, uri) =>
  openDialog({
    title: `Redeliver delivery ${delivery.id}?`,
    body: [
      el(
        'p',
        {},
        'Sends message ',
        code(delivery.messageId),
        ` (${delivery.event}) to `,
        uri ? code(uri) : `webhook ${webhookId}`,
        ' again: one more attempt, same webhook-id, so your receiver can tell it is a repeat.' +
          ' It goes out now, or right after the delivery of its channel in progress, if any.',
      ),
    ],
    confirmLabel: 'Redeliver',
    onConfirm: () =>
      redeliver(webhookId, delivery.id).catch((error) => {
        if (!(error instanceof ApiError && error.status === 409)) throw error;
        const channel = delivery.channelId ? `channel ${delivery.channelId}` : 'its channel';
        throw new Error(
          `Delivery ${delivery.id} cannot be sent again yet: it is waiting for an earlier delivery of ${channel} to finish, and goes out by itself right after it. Redeliver or recover that earlier delivery instead.`,
        );
      }),
  });

/** @param {Channel} channel */
export const endSessionAction = (channel) =>
  openDialog({
    title: `End the session of channel ${channel.id}?`,
    danger: true,
    body: [
      el(
        'p',
        {},
        `Ends “${channel.name}”'s session `,
        code(channel.sessionId ?? '—'),
        ' now and sends channel_ended to its webhooks. A publisher still streaming starts a new session.',
      ),
    ],
    confirmLabel: 'End session',
    onConfirm: () => endSession(channel.id),
  });
