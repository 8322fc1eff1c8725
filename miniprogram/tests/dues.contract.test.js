/**
 * @jest-environment node
 *
 * Dues end to end, as a member would: the mini-program's own client, in node, against a live server;
 * wx.login and the phone number from the WeChat emulator, wx.requestPayment from the WeChat Pay
 * emulator. Started by tests/dues/test_dues_end_to_end.py, which checks what followed on the server.
 */
const { createClient } = require('../utils/api');

const SERVER = process.env.CONTRACT_SERVER;
const EMULATOR = process.env.CONTRACT_EMULATOR;
const PAY_EMULATOR = process.env.CONTRACT_PAY_EMULATOR;
const member = JSON.parse(process.env.CONTRACT_MEMBERS || '{}');

async function post(base, path, body) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

function nodeWx(user) {
  const storage = {};
  return {
    getStorageSync: (key) => storage[key],
    setStorageSync: (key, value) => {
      storage[key] = value;
    },
    removeStorageSync: (key) => {
      delete storage[key];
    },
    login: ({ success, fail }) => post(EMULATOR, '/_phone/login', { user }).then(success, fail),
    request: ({ url, method, data, header, success, fail }) => {
      fetch(url, { method, headers: header, body: method === 'GET' ? undefined : JSON.stringify(data) })
        .then(async (res) => success({ statusCode: res.status, data: await res.json().catch(() => null) }))
        .catch(fail);
    },
    // wx.requestPayment on the member's phone: the emulator checks paySign as WeChat does
    requestPayment: (params) => post(PAY_EMULATOR, '/_phone/pay', { ...params, user, action: 'confirm' }),
    showModal: ({ success }) => success({ confirm: false }),
    showToast() {},
  };
}

test('a member pays three months in one tap and sees them paid', async () => {
  const user = member.payer.user;
  const wx = nodeWx(user);
  const api = createClient({ wx, baseUrl: SERVER });
  await api.login();
  const { code } = await post(EMULATOR, '/_phone/phone_code', { user, phone: member.payer.phone });
  await api.bindWithPhone(code);

  const dues = await api.get('/api/dues/me');
  expect(dues.bills).toHaveLength(3);
  expect(dues.bills.every((bill) => bill.payable)).toBe(true);
  const owed = dues.owed_fen;

  const order = await api.post('/api/dues/orders', { bill_ids: dues.bills.map((bill) => bill.id) });
  expect(order.amount_fen).toBe(owed);
  const paid = await wx.requestPayment(order.payment);
  expect(paid.errMsg).toBe('requestPayment:ok');

  let status;
  for (let tries = 0; tries < 40; tries += 1) {
    status = await api.get(`/api/dues/orders/${order.order_no}`);
    if (status.status === 'paid') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(status).toMatchObject({ status: 'paid', amount_fen: owed, months: dues.bills.map((bill) => bill.month) });
  const after = await api.get('/api/dues/me');
  expect(after).toMatchObject({ owed_fen: 0, bills: [], paid_up_to: dues.bills[2].month });
  const { items } = await api.get('/api/dues/payments');
  expect(items).toHaveLength(1);
  const receipt = await api.get(`/api/dues/payments/${items[0].id}/receipt`);
  expect(receipt).toMatchObject({ receipt_no: order.order_no, member_name: member.payer.name, amount_fen: owed });
});
