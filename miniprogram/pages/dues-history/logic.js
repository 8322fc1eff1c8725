// 缴费记录: every dues payment of mine, newest first as the server lists them, each with its months, how it
// was paid, who paid when a relative did, and what was refunded. A payment opens its receipt, except
// money that covered nothing (`unapplied`, to be refunded), which says so and has no receipt.
const { leadsToLogin, showError } = require('../../utils/api');
const { yuan } = require('../../utils/money');
const { monthsText, channelLabel, proxyPayer, statusNote } = require('../../utils/dues');
const { beijing } = require('../../utils/time');

const PAYMENTS_PATH = '/api/dues/payments';

function refundText(item) {
  const refunded = item.refunded_fen || 0;
  if (refunded <= 0) return '';
  return refunded >= item.amount_fen ? `已全额退款 ${yuan(refunded)} 元` : `已退款 ${yuan(refunded)} 元`;
}

function paymentRow(item, ownName) {
  const payer = proxyPayer(item, ownName);
  return {
    id: item.id,
    amountText: yuan(item.amount_fen),
    monthsText: monthsText(item.months) || '自愿多交',
    extraText: item.extra_fen ? `含自愿多交 ${yuan(item.extra_fen)} 元` : '',
    when: beijing(item.paid_at),
    channel: channelLabel(item.channel),
    payer: payer ? `代缴人：${payer}` : '',
    refund: refundText(item),
    status: item.status || 'paid',
    note: statusNote(item.status),
    hasReceipt: item.status !== 'unapplied',
  };
}

function createDuesHistoryPage({ api, wx }) {
  return {
    data: { state: 'loading', stateMessage: '', payments: [] },

    onLoad() {
      return this.load();
    },

    load({ quiet = false } = {}) {
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(PAYMENTS_PATH, { retry: false })
        .then((body) => {
          const me = typeof api.member === 'function' ? api.member() : null;
          const payments = (body.items || []).map((item) => paymentRow(item, me && me.name));
          this.setData({ payments, state: payments.length ? 'ready' : 'empty', stateMessage: payments.length ? '' : '还没有缴费记录' });
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (quiet && this.data.state === 'ready') showError(wx, err);
          else this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    onRetry() {
      return this.load();
    },

    onReconnect() {
      return this.load({ quiet: true });
    },

    onPullDownRefresh() {
      return this.load({ quiet: true }).then(() => wx.stopPullDownRefresh());
    },

    open(event) {
      const id = Number(event.currentTarget.dataset.id);
      const row = this.data.payments.find((payment) => payment.id === id);
      if (!row || !row.hasReceipt) return;
      wx.navigateTo({ url: `/pages/dues-receipt/index?id=${id}` });
    },
  };
}

module.exports = { createDuesHistoryPage, paymentRow, refundText };
