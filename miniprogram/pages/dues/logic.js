// 党费: what I owe, which months to pay, paying through WeChat, and waiting for the server to confirm.
//
// Months are paid oldest first: the unpaid months the server lets me pay, then the months it offers to
// pay ahead, form one row and what is chosen is always a run from its start (tapping a month chooses it
// and every earlier one; tapping a chosen month lets it and every later one go). Months past the
// back-payment limit are listed with the server's reason and cannot be chosen.
//
// The total on screen is for reading only; the server prices the order. WeChat's payment sheet saying
// "success" is not proof either: after it the page waits, asking the server about the order (backing
// off, paused while the page is hidden) until the server says paid or closed. A cancelled sheet goes
// back to the choice with nothing marked paid.
//
// 请人代缴: the member makes a token and shares this page with it; the relative who opens it sees whose
// dues these are (the answer must name the member) and pays them with `for_token`.
const { leadsToLogin, showError } = require('../../utils/api');
const { yuan, fenFromYuan } = require('../../utils/money');
const { monthLabel, monthsText } = require('../../utils/dues');
const { beijing } = require('../../utils/time');
const { askFor } = require('../../utils/subscribe');

const ME_PATH = '/api/dues/me';
const ORDERS_PATH = '/api/dues/orders';
const TOKENS_PATH = '/api/dues/proxy-tokens';
// The relative's view of someone else's dues: the same answer as /api/dues/me, for the token's member.
const duesPathFor = (token) => (token ? `${ME_PATH}?for_token=${encodeURIComponent(token)}` : ME_PATH);

// Asking about an order: soon at first (the notification usually arrives within seconds), then less often.
const POLL_DELAYS_MS = [1000, 2000, 3000, 5000, 8000];
const POLL_MAX_DELAY_MS = 10000;
// After this long without an answer the member is told plainly that it is taking long, and not to pay again.
const LONG_WAIT_MS = 30000;

const PAID_STATUSES = ['paid', 'refunded', 'partly_refunded'];

function pollDelay(attempt) {
  return attempt < POLL_DELAYS_MS.length ? POLL_DELAYS_MS[attempt] : POLL_MAX_DELAY_MS;
}

// The one row of choosable months: payable unpaid bills, oldest first, then the months offered ahead.
function choicesFrom(body) {
  const unpaid = (body.bills || []).filter((bill) => bill.status === 'unpaid').sort((a, b) => (a.month < b.month ? -1 : 1));
  const payable = unpaid
    .filter((bill) => bill.payable)
    .map((bill) => ({ key: `bill-${bill.id}`, billId: bill.id, month: bill.month, amountFen: bill.amount_fen, ahead: false }));
  const ahead = (body.ahead || []).map((m) => ({ key: `ahead-${m.month}`, billId: null, month: m.month, amountFen: m.amount_fen, ahead: true }));
  const blocked = unpaid
    .filter((bill) => !bill.payable)
    .map((bill) => ({ key: `bill-${bill.id}`, label: monthLabel(bill.month), amount: yuan(bill.amount_fen), reason: bill.reason || '该月暂不能在线缴纳，请联系支部' }));
  return { choices: payable.concat(ahead), blocked };
}

// What the member sees for each choosable month given how many are chosen (a run from the start).
function rowsFor(choices, chosen) {
  return choices.map((choice, index) => ({
    key: choice.key,
    index,
    label: monthLabel(choice.month),
    amount: yuan(choice.amountFen),
    ahead: choice.ahead,
    checked: index < chosen,
  }));
}

function totalFen(choices, chosen, extraFen) {
  return choices.slice(0, chosen).reduce((sum, choice) => sum + choice.amountFen, 0) + (extraFen || 0);
}

function orderFrom(choices, chosen, extraFen, forToken) {
  const picked = choices.slice(0, chosen);
  return {
    bill_ids: picked.filter((c) => !c.ahead).map((c) => c.billId),
    ahead_months: picked.filter((c) => c.ahead).length,
    extra_fen: extraFen || 0,
    for_token: forToken || null,
  };
}

function isCancel(err) {
  return /cancel/i.test((err && err.errMsg) || '');
}

function createDuesPage({ api, wx, timers = { setTimeout, clearTimeout }, now = () => Date.now() }) {
  return {
    data: {
      state: 'loading', // page-state: loading, error, empty, ready
      stateMessage: '',
      phase: 'choose', // choose, waiting, paid, closed, unapplied
      forToken: '',
      ownerName: '', // whose dues, in the relative's view
      paidUpText: '',
      owedText: '',
      rows: [],
      blocked: [],
      voluntaryAllowed: false,
      extraText: '',
      extraError: '',
      totalText: '0.00',
      canPay: false,
      paying: false,
      refusal: '',
      order: null, // {no, amountText, monthsText, paidAtText, status}
      waitingLong: false,
      proxy: null, // {token, memberName, expiresText} once made
    },

    // not page data: the months as numbers, how many are chosen, the poll's bookkeeping
    choices: [],
    chosen: 0,
    extraFen: 0,
    pollTimer: null,
    pollAttempt: 0,
    waitStarted: 0,
    hidden: false,

    onLoad(options = {}) {
      const forToken = options.token ? String(options.token) : '';
      this.setData({ forToken, ownerName: options.name ? decodeURIComponent(String(options.name)) : '' });
      return this.load();
    },

    onShow() {
      this.hidden = false;
      if (this.data.phase === 'waiting' && this.pollTimer === null) return this.poll();
      return Promise.resolve();
    },

    onHide() {
      this.hidden = true;
      this.stopPolling();
    },

    onUnload() {
      this.hidden = true;
      this.stopPolling();
    },

    onRetry() {
      return this.load();
    },

    onReconnect() {
      if (this.data.phase === 'waiting') return this.poll();
      if (this.data.phase === 'choose') return this.load({ quiet: this.data.state === 'ready' });
      return Promise.resolve();
    },

    onPullDownRefresh() {
      const done = this.data.phase === 'choose' ? this.load({ quiet: true }) : Promise.resolve();
      return done.then(() => wx.stopPullDownRefresh());
    },

    load({ quiet = false } = {}) {
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(duesPathFor(this.data.forToken), { retry: false })
        .then((body) => this.show(body))
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (quiet && this.data.state === 'ready') showError(wx, err);
          else this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    show(body) {
      // A relative must see whose dues these are: an answer without the member's name is not theirs to pay.
      if (this.data.forToken && !body.member_name) {
        this.setData({ state: 'error', stateMessage: '暂时无法打开这个代缴链接，请稍后再试或请对方重新发送' });
        return;
      }
      const { choices, blocked } = choicesFrom(body);
      this.choices = choices;
      this.chosen = 0;
      const unpaidLeft = choices.some((c) => !c.ahead) || blocked.length > 0;
      // 党费已缴清 only on the server's word: nothing owed and no unpaid month listed.
      const paidUp = body.owed_fen === 0 && !unpaidLeft;
      const paidUpText = body.paid_up_to ? `已缴至 ${monthLabel(body.paid_up_to)}` : '尚无缴费记录';
      const ownerName = body.member_name || this.data.ownerName;
      this.setData({
        phase: 'choose',
        state: paidUp && !choices.length ? 'empty' : 'ready',
        stateMessage: paidUp && !choices.length ? `党费已缴清，${paidUpText}` : '',
        ownerName,
        paidUp,
        paidUpText,
        owedText: yuan(body.owed_fen || 0),
        blocked,
        voluntaryAllowed: Boolean(body.voluntary_allowed) && choices.length > 0,
        refusal: '',
        order: null,
      });
      this.refreshChoice();
    },

    refreshChoice() {
      const total = totalFen(this.choices, this.chosen, this.extraFen);
      this.setData({
        rows: rowsFor(this.choices, this.chosen),
        totalText: yuan(total),
        canPay: total > 0 && this.chosen > 0 && !this.data.extraError,
      });
    },

    // Tapping month i: chosen, with every earlier one; tapping a chosen one: it and every later one go.
    onToggleMonth(event) {
      if (this.data.paying) return;
      const index = Number(event.currentTarget.dataset.index);
      if (!(index >= 0 && index < this.choices.length)) return;
      const before = this.chosen;
      this.chosen = index < this.chosen ? index : index + 1;
      this.setData({ refusal: '' });
      this.refreshChoice();
      if (this.chosen - before > 1) {
        wx.showToast({ title: '党费按月依次缴纳，已同时选中之前的月份', icon: 'none', duration: 2500 });
      }
    },

    onExtraInput(event) {
      const typed = event.detail.value;
      const { fen, error } = fenFromYuan(typed);
      this.extraFen = error ? 0 : fen;
      this.setData({ extraText: typed, extraError: error || '' });
      this.refreshChoice();
    },

    onPay() {
      if (!this.data.canPay || this.data.paying) return Promise.resolve();
      const order = orderFrom(this.choices, this.chosen, this.extraFen, this.data.forToken);
      this.setData({ paying: true, refusal: '' });
      return api
        .post(ORDERS_PATH, order)
        .then((created) => this.requestPayment(created))
        .catch((err) => {
          this.setData({ paying: false });
          if (leadsToLogin(err)) return;
          // the server's own words: which month cannot be paid, or why
          this.setData({ refusal: err.message || '暂时无法缴费，请稍后再试' });
        });
    },

    requestPayment(created) {
      return new Promise((resolve) => {
        wx.requestPayment({
          ...created.payment,
          // WeChat's "success" only means the sheet closed happily; the server is asked before anything is shown as paid.
          success: () => resolve(this.startWaiting(created)),
          fail: (err) => {
            this.setData({ paying: false });
            if (isCancel(err)) {
              wx.showToast({ title: '已取消支付', icon: 'none' });
            } else {
              this.setData({ refusal: '支付没有完成。如已扣款，请稍后在缴费记录中查看，不要重复支付。' });
            }
            resolve();
          },
        });
      });
    },

    startWaiting(created) {
      this.pollAttempt = 0;
      this.waitStarted = now();
      this.setData({
        phase: 'waiting',
        paying: false,
        waitingLong: false,
        order: { no: created.order_no, amountText: yuan(created.amount_fen), monthsText: '', paidAtText: '', status: 'pending' },
      });
      return this.poll();
    },

    stopPolling() {
      if (this.pollTimer !== null) timers.clearTimeout(this.pollTimer);
      this.pollTimer = null;
    },

    poll() {
      this.stopPolling();
      const order = this.data.order;
      if (!order || this.data.phase !== 'waiting') return Promise.resolve();
      return api
        .get(`${ORDERS_PATH}/${encodeURIComponent(order.no)}`, { retry: false })
        .then((body) => {
          if (this.data.phase !== 'waiting') return;
          if (PAID_STATUSES.includes(body.status)) return this.paid(body);
          if (body.status === 'closed') return this.closed(body);
          if (body.status === 'unapplied') return this.unapplied(body);
          this.waitMore();
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          this.waitMore(); // a lost answer is asked again on the next tick
        });
    },

    waitMore() {
      if (now() - this.waitStarted >= LONG_WAIT_MS) this.setData({ waitingLong: true });
      if (this.hidden) return;
      const delay = pollDelay(this.pollAttempt);
      this.pollAttempt += 1;
      this.pollTimer = timers.setTimeout(() => {
        this.pollTimer = null;
        this.poll();
      }, delay);
    },

    paid(body) {
      this.setData({
        phase: 'paid',
        order: {
          ...this.data.order,
          status: body.status,
          amountText: yuan(body.amount_fen),
          monthsText: monthsText(body.months),
          paidAtText: beijing(body.paid_at),
        },
      });
      wx.showToast({ title: '缴费成功', icon: 'success' });
      if (!this.data.forToken) this.offerReminder();
    },

    closed(body) {
      this.setData({ phase: 'closed', order: { ...this.data.order, status: body.status } });
    },

    // The money arrived after the months had been paid otherwise: taken, but not dues. Never "缴费成功".
    unapplied(body) {
      this.setData({
        phase: 'unapplied',
        order: { ...this.data.order, status: body.status, amountText: yuan(body.amount_fen), paidAtText: beijing(body.paid_at) },
      });
    },

    // Asked from the modal's confirm, synchronously: WeChat shows its consent dialog only from a tap.
    offerReminder() {
      wx.showModal({
        title: '党费提醒',
        content: '以后每月党费可以缴纳时，是否通过微信提醒您？',
        confirmText: '提醒我',
        cancelText: '不用了',
        success: (res) => {
          if (res.confirm) askFor({ wx, api, purposes: ['dues_reminder'] });
        },
      });
    },

    // 返回 / 重新选择 after a closed order or a payment: the server's fresh answer.
    onBackToChoice() {
      this.stopPolling();
      this.extraFen = 0;
      this.setData({ phase: 'choose', extraText: '', extraError: '', order: null, waitingLong: false });
      return this.load();
    },

    onHistory() {
      wx.navigateTo({ url: '/pages/dues-history/index' });
    },

    onMakeProxy() {
      if (this.data.paying) return Promise.resolve();
      return api
        .post(TOKENS_PATH, {})
        .then((made) => this.setData({ proxy: { token: made.token, memberName: made.member_name, expiresText: beijing(made.expires_at) } }))
        .catch((err) => showError(wx, err));
    },

    onShareAppMessage() {
      const proxy = this.data.proxy;
      if (!proxy) return { title: '党费缴纳', path: '/pages/dues/index' };
      return {
        title: `请帮${proxy.memberName}缴纳党费`,
        path: `/pages/dues/index?token=${encodeURIComponent(proxy.token)}&name=${encodeURIComponent(proxy.memberName)}`,
      };
    },
  };
}

module.exports = { createDuesPage, choicesFrom, rowsFor, totalFen, orderFrom, pollDelay, duesPathFor, LONG_WAIT_MS };
