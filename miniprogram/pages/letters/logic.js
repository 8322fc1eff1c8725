// 我的信件: the letters I wrote, newest first, each with its mailbox, day and status; a reply is marked so.
const { leadsToLogin } = require('../../utils/api');
const { letterView } = require('../../utils/mailbox');

function createLettersPage({ api, wx }) {
  return {
    data: { state: 'loading', stateMessage: '', letters: [] },
    loaded: false,

    onShow() {
      return this.load({ quiet: this.loaded });
    },

    onRetry() {
      return this.load();
    },

    onPullDownRefresh() {
      return this.load({ quiet: true }).then(() => wx.stopPullDownRefresh());
    },

    load({ quiet = false } = {}) {
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get('/api/letters', { retry: false })
        .then((answer) => {
          this.loaded = true;
          const letters = answer.letters.map(letterView);
          this.setData({
            state: letters.length ? 'ready' : 'empty',
            stateMessage: letters.length ? '' : '还没有写过信',
            letters,
          });
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    onOpen(event) {
      wx.navigateTo({ url: `/pages/letter/index?id=${event.currentTarget.dataset.id}` });
    },

    onWrite() {
      wx.navigateTo({ url: '/pages/letter-new/index' });
    },
  };
}

module.exports = { createLettersPage };
