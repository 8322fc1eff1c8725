// 党费收据: one payment as a member can show it — the amount large and clear, the months, when it was paid
// (Beijing time), the receipt number, and who paid when a relative did (代缴).
const { leadsToLogin } = require('../../utils/api');
const { yuan } = require('../../utils/money');
const { monthsText, channelLabel, proxyPayer } = require('../../utils/dues');
const { beijing } = require('../../utils/time');

function receiptView(body) {
  return {
    receiptNo: body.receipt_no,
    memberName: body.member_name,
    branch: body.branch || '',
    amountText: yuan(body.amount_fen),
    extraText: body.extra_fen ? `${yuan(body.extra_fen)} 元` : '',
    monthsText: monthsText(body.months) || '无（自愿多交）',
    channel: channelLabel(body.channel),
    paidAt: beijing(body.paid_at),
    // 代缴 only when someone other than the member paid (not the secretary recording cash)
    payer: proxyPayer(body, body.member_name),
  };
}

function createDuesReceiptPage({ api, wx }) {
  return {
    data: { state: 'loading', stateMessage: '', receipt: null },
    paymentId: null,

    onLoad(options = {}) {
      this.paymentId = Number(options.id);
      if (!Number.isInteger(this.paymentId) || this.paymentId <= 0) {
        this.setData({ state: 'error', stateMessage: '没有找到这张收据' });
        return Promise.resolve();
      }
      return this.load();
    },

    load() {
      this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(`/api/dues/payments/${this.paymentId}/receipt`, { retry: false })
        .then((body) => this.setData({ receipt: receiptView(body), state: 'ready' }))
        .catch((err) => {
          if (!leadsToLogin(err)) this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    onRetry() {
      return this.paymentId ? this.load() : Promise.resolve();
    },

    onReconnect() {
      return this.data.state === 'ready' ? Promise.resolve() : this.onRetry();
    },

    onBack() {
      wx.navigateBack();
    },
  };
}

module.exports = { createDuesReceiptPage, receiptView };
