// The delivery dashboard's entry: the session (key in, key out) and the page's buttons.

import {
  ApiError,
  forgetKey,
  hasKey,
  id,
  onKeyRefused,
  redeliver,
  sendTest,
  useKey,
} from './api.js';
import { $, notice, showLogin } from './render.js';
import { follow, navigate, refresh, startRouting } from './router.js';
import { state } from './state.js';

function signOut(message) {
  forgetKey();
  state.generation++;
  state.deliveries.clear();
  state.details.clear();
  $('webhook-list').replaceChildren();
  $('delivery-rows').replaceChildren();
  showLogin();
  if (message) notice(message, 'error');
}

function start() {
  onKeyRefused(() => signOut('The API key was refused. Enter a valid key.'));
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('api-key');
    const key = input.value.trim();
    if (!key) return;
    input.value = '';
    useKey(key);
    $('notice').hidden = true;
    void refresh();
  });
  $('forget-key').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', () => void refresh());
  $('redeliver').addEventListener('click', async () => {
    const webhookId = state.selectedWebhook;
    const deliveryId = state.selectedDelivery;
    if (!webhookId || !deliveryId) return;
    const button = $('redeliver');
    button.disabled = true;
    try {
      await redeliver(webhookId, deliveryId);
      notice(`Delivery ${deliveryId} queued for redelivery.`);
      await follow(webhookId, deliveryId);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401))
        notice(`Redeliver failed: ${error.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
  $('send-test').addEventListener('click', async () => {
    const webhookId = state.selectedWebhook;
    if (!webhookId) return;
    const button = $('send-test');
    button.disabled = true;
    try {
      const delivery = await sendTest(webhookId);
      notice(`Test ping queued as delivery ${delivery.id}.`);
      navigate(webhookId, id(delivery.id));
      await follow(webhookId, id(delivery.id));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401))
        notice(`Send test failed: ${error.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
  startRouting();
  if (!hasKey()) return showLogin();
  void refresh();
}

start();
