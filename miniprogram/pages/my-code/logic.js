// My personal check-in code, for rooms without a projector: the secretary scans it. It refreshes
// itself well before it expires, so a screenshot sent to someone else stops working.
const { showError } = require('../../utils/api');

function createMyCodePage({ api, wx, setTimer = setTimeout, clearTimer = clearTimeout }) {
  return {
    data: { image: '', expiresIn: 0 },
    timer: null,

    onShow() {
      return this.refresh();
    },

    onHide() {
      clearTimer(this.timer);
    },

    onUnload() {
      clearTimer(this.timer);
    },

    refresh() {
      return api
        .get('/api/me/checkin-code')
        .then((body) => {
          this.setData({ image: `data:image/png;base64,${body.qr_png_base64}`, expiresIn: body.expires_in });
          this.timer = setTimer(() => this.refresh(), Math.max(5, body.expires_in / 2) * 1000);
        })
        .catch((err) => showError(wx, err));
    },
  };
}

module.exports = { createMyCodePage };
