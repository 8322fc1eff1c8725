// One of my letters and, once answered, the reply (the page a reply's push opens). Opening it marks the
// reply read in my inbox (the server does that on this GET).
const { leadsToLogin } = require('../../utils/api');
const { idFrom } = require('../../utils/newspaper');
const { letterView } = require('../../utils/mailbox');

const NOT_FOUND = '没有找到这封信';

function createLetterPage({ api, wx }) {
  return {
    data: { state: 'loading', stateMessage: '', letter: null },
    letterId: null,

    onLoad(options = {}) {
      this.letterId = idFrom(options.id);
      if (!this.letterId) {
        this.setData({ state: 'error', stateMessage: NOT_FOUND });
        return Promise.resolve();
      }
      return this.load();
    },

    onRetry() {
      return this.letterId ? this.load() : Promise.resolve();
    },

    onPullDownRefresh() {
      return (this.letterId ? this.load() : Promise.resolve()).then(() => wx.stopPullDownRefresh());
    },

    onLetters() {
      wx.navigateTo({ url: '/pages/letters/index' });
    },

    load() {
      this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(`/api/letters/${this.letterId}`, { retry: false })
        .then((letter) => this.setData({ state: 'ready', letter: letterView(letter) }))
        .catch((err) => {
          if (leadsToLogin(err)) return;
          this.setData({ state: 'error', stateMessage: err.status === 404 ? NOT_FOUND : err.message || '' });
        });
    },
  };
}

module.exports = { createLetterPage, NOT_FOUND };
