// A fake server and phone for the 党费 pages' tests: the answers the server gives (its documented shapes),
// WeChat's payment sheet answering success, cancel or failure, and timers the test fires by hand.
const { createDuesPage } = require('../pages/dues/logic');
const { createFakeWx, mountPage } = require('./fake-wx');

const ME = {
  paid_up_to: '2026-07',
  owed_fen: 4500,
  bills: [
    { id: 13, month: '2026-10', amount_fen: 1500, status: 'unpaid', payable: true, reason: null },
    { id: 11, month: '2026-08', amount_fen: 1500, status: 'unpaid', payable: true, reason: null },
    { id: 12, month: '2026-09', amount_fen: 1500, status: 'unpaid', payable: true, reason: null },
    { id: 7, month: '2025-01', amount_fen: 1200, status: 'unpaid', payable: false, reason: '超过补缴期限，请联系支部处理' },
    { id: 6, month: '2026-07', amount_fen: 1500, status: 'paid', payable: false, reason: null },
  ],
  ahead: [
    { month: '2026-11', amount_fen: 1500 },
    { month: '2026-12', amount_fen: 1500 },
  ],
  voluntary_allowed: true,
};
const PAID_UP = { paid_up_to: '2026-12', owed_fen: 0, bills: [], ahead: [], voluntary_allowed: true };
const CREATED = {
  order_no: 'D20261201A1',
  amount_fen: 4500,
  expires_at: '2026-12-01T11:00:00+00:00',
  payment: { timeStamp: '1764586800', nonceStr: 'n1', package: 'prepay_id=wx1', signType: 'RSA', paySign: 'sig' },
};
const pending = { order_no: 'D20261201A1', status: 'pending', amount_fen: 4500, paid_at: null, months: [] };
const paidOrder = { ...pending, status: 'paid', paid_at: '2026-12-01T02:05:00+00:00', months: ['2026-08', '2026-09', '2026-10'] };

// A timer the test fires by hand, and a clock it moves.
function manualTimers() {
  const timers = {
    pending: [],
    setTimeout(fn, ms) {
      const handle = { fn, ms };
      timers.pending.push(handle);
      return handle;
    },
    clearTimeout(handle) {
      timers.pending = timers.pending.filter((h) => h !== handle);
    },
    async fireNext() {
      const next = timers.pending.shift();
      next.fn();
      await flush();
      return next.ms;
    },
  };
  return timers;
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function phone({ payment = 'success' } = {}) {
  const wx = createFakeWx({ handler: () => ({}) });
  wx.navigated = [];
  wx.navigateTo = ({ url }) => wx.navigated.push(url);
  wx.payments = [];
  wx.requestPayment = (options) => {
    wx.payments.push(options);
    if (payment === 'success') options.success({ errMsg: 'requestPayment:ok' });
    else if (payment === 'cancel') options.fail({ errMsg: 'requestPayment:fail cancel' });
    else options.fail({ errMsg: 'requestPayment:fail 余额不足' });
  };
  wx.subscribeAsked = [];
  wx.requestSubscribeMessage = (options) => {
    wx.subscribeAsked.push(options.tmplIds);
    options.success({ [options.tmplIds[0]]: 'accept' });
  };
  return wx;
}

// A fake server: GET answers by path (a function may vary them), POST answers by path.
function fakeApi({ me = ME, orders = [pending], post = {} } = {}) {
  const orderAnswers = orders.slice();
  const api = {
    get: jest.fn((path) => {
      if (path.startsWith('/api/dues/me')) return typeof me === 'function' ? me(path) : Promise.resolve(me);
      if (path.startsWith('/api/dues/orders/')) {
        const answer = orderAnswers.length > 1 ? orderAnswers.shift() : orderAnswers[0];
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      }
      return Promise.reject(new Error(`unexpected ${path}`));
    }),
    post: jest.fn((path, body) => {
      const answer = post[path];
      if (answer instanceof Error) return Promise.reject(answer);
      if (typeof answer === 'function') return answer(body);
      if (answer) return Promise.resolve(answer);
      if (path === '/api/dues/orders') return Promise.resolve(CREATED);
      return Promise.resolve({ ok: true });
    }),
  };
  return api;
}

async function opened({ api = fakeApi(), wx = phone(), timers = manualTimers(), clock = { t: 0 }, options = {} } = {}) {
  const page = mountPage(createDuesPage({ api, wx, timers, now: () => clock.t }));
  await page.onLoad(options);
  return { page, api, wx, timers, clock };
}

module.exports = { ME, PAID_UP, CREATED, pending, paidOrder, manualTimers, flush, phone, fakeApi, opened };
