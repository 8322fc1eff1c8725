// Secretary mode: scan members' personal codes one after another; each result is listed.
const { showError } = require('../../utils/api');

function createSecretaryScanPage({ api, wx }) {
  return {
    data: { id: null, results: [], busy: false },

    onLoad(options) {
      this.setData({ id: Number(options.id) });
    },

    scan() {
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: true });
      return new Promise((resolve, reject) => wx.scanCode({ onlyFromCamera: true, success: resolve, fail: reject }))
        .then((scanned) => api.post(`/api/meetings/${this.data.id}/scan-member`, { code: scanned.result }))
        .then((result) => {
          const line = { name: result.member_name, message: result.message, ok: !result.already };
          this.setData({ results: [line, ...this.data.results] });
          wx.showToast({ title: `${result.member_name} ${result.message}`, icon: 'none' });
        })
        .catch((err) => {
          if (!(err && err.errMsg && /cancel/.test(err.errMsg))) showError(wx, err);
        })
        .then(() => this.setData({ busy: false }));
    },
  };
}

module.exports = { createSecretaryScanPage };
