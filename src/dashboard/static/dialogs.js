// @ts-check
// Confirmations and forms in a modal <dialog>: every action says what it will do before it runs,
// and a refusal of the service is shown inside the dialog in the service's own words.

import { ApiError } from './api.js';
import { button, el, explain } from './dom.js';

/** @typedef {import('./dom.js').Child} Child */

/**
 * What a dialog resolves with: what its `onConfirm` resolved, true when that was nothing, or
 * null when it was cancelled.
 * @template T
 * @typedef {(T extends null | undefined | void ? true : T) | null} DialogResult
 */

/** True while a dialog is open: the page does not refresh under it. */
export const dialogOpen = () => document.querySelector('dialog[open]') !== null;

/**
 * Opens a dialog and resolves with what `onConfirm(form)` resolved, or null when cancelled.
 * `body`: nodes (text, fields) above the buttons. A rejection of `onConfirm` keeps the dialog
 * open with its messages, so a form can be corrected.
 * @template T
 * @param {object} options
 * @param {string} options.title
 * @param {Child[]} [options.body]
 * @param {string} options.confirmLabel
 * @param {boolean} [options.danger] a red confirm button
 * @param {string} [options.testid]
 * @param {(form: HTMLFormElement) => T | Promise<T>} options.onConfirm
 * @returns {Promise<DialogResult<T>>}
 */
export function openDialog({
  title,
  body = [],
  confirmLabel,
  danger = false,
  testid = 'dialog',
  onConfirm,
}) {
  return new Promise((resolve) => {
    const titleId = `dialog-title-${Date.now()}`;
    const errors = el('div', {
      className: 'dialog-errors',
      testid: 'dialog-error',
      attrs: { role: 'alert' },
    });
    errors.hidden = true;
    const confirm = el(
      'button',
      { className: danger ? 'danger' : '', testid: 'dialog-confirm', attrs: { type: 'submit' } },
      confirmLabel,
    );
    const cancel = button('Cancel', () => dialog.close(), {
      className: 'secondary',
      testid: 'dialog-cancel',
    });
    const form = el(
      'form',
      { attrs: { novalidate: true } },
      el('h2', { attrs: { id: titleId } }, title),
      el('div', { className: 'dialog-body' }, body),
      errors,
      el('div', { className: 'dialog-actions' }, cancel, confirm),
    );
    const dialog = el(
      'dialog',
      { className: 'dialog', testid, attrs: { 'aria-labelledby': titleId } },
      form,
    );
    /** @type {DialogResult<T>} */
    let result = null;
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      confirm.disabled = true;
      errors.hidden = true;
      Promise.resolve()
        .then(() => onConfirm(form))
        .then((value) => {
          result = /** @type {DialogResult<T>} */ (value ?? true);
          dialog.close();
        })
        .catch((error) => {
          if (error instanceof ApiError && error.status === 401) return dialog.close();
          const messages =
            error instanceof ApiError && error.status === 400 ? error.messages : [explain(error)];
          errors.replaceChildren(
            el('strong', {}, 'The service refused:'),
            el(
              'ul',
              {},
              messages.map((message) => el('li', {}, message)),
            ),
          );
          errors.hidden = false;
        })
        .finally(() => {
          confirm.disabled = false;
        });
    });
    document.body.append(dialog);
    dialog.showModal();
    // The first field, or the safe choice when there is none.
    /** @type {HTMLElement} */ (form.querySelector('input, select, textarea') ?? cancel).focus();
  });
}

/**
 * A labelled field; `input` is an <input>, <select> or <textarea> without an id.
 * @param {string} label
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} input
 * @param {string} [hint] a line under the field
 */
export function field(label, input, hint) {
  const fieldId = `field-${Math.random().toString(36).slice(2)}`;
  input.id = fieldId;
  const hintNode = hint
    ? el('span', { className: 'hint', attrs: { id: `${fieldId}-hint` } }, hint)
    : null;
  if (hintNode) input.setAttribute('aria-describedby', hintNode.id);
  return el(
    'div',
    { className: 'field' },
    el('label', { attrs: { for: fieldId } }, label),
    input,
    hintNode,
  );
}

/**
 * Shows a secret once, with a copy button; resolves when the dialog is closed.
 * @param {string} title
 * @param {string} secret
 * @param {string} note
 * @returns {Promise<void>}
 */
export function showSecret(title, secret, note) {
  return new Promise((resolve) => {
    const titleId = `secret-title-${Date.now()}`;
    const value = el('input', {
      className: 'secret',
      testid: 'secret-value',
      attrs: { readonly: true, value: secret, spellcheck: 'false', 'aria-label': 'Secret' },
    });
    const copied = el('span', {
      className: 'muted small',
      testid: 'secret-copied',
      attrs: { role: 'status' },
    });
    const copy = button(
      'Copy',
      async () => {
        try {
          await navigator.clipboard.writeText(secret);
        } catch {
          value.select();
          document.execCommand('copy');
        }
        copied.textContent = 'Copied.';
      },
      { testid: 'secret-copy' },
    );
    const done = button('Done', () => dialog.close(), { testid: 'dialog-done' });
    const dialog = el(
      'dialog',
      { className: 'dialog', testid: 'secret-dialog', attrs: { 'aria-labelledby': titleId } },
      el('h2', { attrs: { id: titleId } }, title),
      el('p', {}, note),
      el('div', { className: 'secret-row' }, value, copy),
      copied,
      el('div', { className: 'dialog-actions' }, done),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
    value.focus();
    value.select();
  });
}
