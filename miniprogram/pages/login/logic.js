// Binding a WeChat user to a member record: one tap with the WeChat phone number, or an invite code.
// Opened with `next` (the page a member was on when the client found them not bound), binding leads
// back there; a member already bound goes there at once. After logout the page waits for a tap on 登录:
// the member chose to leave, so nothing logs them in behind their back.
const { showError } = require('../../utils/api');
const { askFor } = require('../../utils/subscribe');
const { safeNext, HOME } = require('../../utils/deeplink');

const INVITE_RE = /^[0-9A-Za-z\s-]{4,16}$/;

function createLoginPage({ api, wx }) {
  return {
    data: {
      state: 'loading',
      stateMessage: '',
      signedOut: false,
      next: '',
      inviteCode: '',
      name: '',
      busy: false,
      mode: 'phone',
    },

    onLoad(options) {
      this.setData({ next: safeNext(options && options.next) || '' });
      if (api.isSignedOut && api.isSignedOut()) {
        this.setData({ state: 'ready', signedOut: true });
        return Promise.resolve();
      }
      return this.checkBound();
    },

    // Already bound on this phone? Go on to `next` (or home). Otherwise offer binding.
    checkBound() {
      this.setData({ state: 'loading', stateMessage: '' });
      return api.login().then(
        (session) => {
          if (session.bound) return this.goOn();
          this.setData({ state: 'ready', signedOut: false });
          return undefined;
        },
        (err) => this.setData({ state: 'error', stateMessage: err.message || '' }),
      );
    },

    onRetry() {
      return this.checkBound();
    },

    // Back online: try again only what failed; a member who logged out still decides for themselves.
    onReconnect() {
      return this.data.state === 'error' ? this.checkBound() : Promise.resolve();
    },

    // 登录 after a logout: the member's own tap, so the client may log in again.
    onSignIn() {
      return this.checkBound();
    },

    goOn() {
      wx.reLaunch({ url: this.data.next || HOME });
    },

    showInvite() {
      this.setData({ mode: 'invite' });
    },

    showPhone() {
      this.setData({ mode: 'phone' });
    },

    onPhoneNumber(event) {
      const code = event.detail && event.detail.code;
      if (!code) {
        wx.showToast({ title: '未授权手机号，可改用邀请码绑定', icon: 'none' });
        return Promise.resolve();
      }
      return this.bindWith(() => api.bindWithPhone(code));
    },

    onInviteInput(event) {
      this.setData({ inviteCode: event.detail.value });
    },

    onNameInput(event) {
      this.setData({ name: event.detail.value });
    },

    onInviteSubmit() {
      const inviteCode = this.data.inviteCode.trim();
      const name = this.data.name.trim();
      if (!INVITE_RE.test(inviteCode)) {
        wx.showToast({ title: '请输入支部书记发放的邀请码', icon: 'none' });
        return Promise.resolve();
      }
      if (!name) {
        wx.showToast({ title: '请输入您的姓名', icon: 'none' });
        return Promise.resolve();
      }
      return this.bindWith(() => api.bindWithInvite(inviteCode, name));
    },

    bindWith(action) {
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: true });
      return action()
        .then(
          () => this.offerReminder().then(() => this.goOn()),
          (err) => showError(wx, err),
        )
        .then(() => this.setData({ busy: false }));
    },

    // Right after binding is when a member is most willing to be reminded of meetings. WeChat shows its
    // consent dialog only from a tap: `askFor` runs straight in the modal's confirm, never after an await.
    offerReminder() {
      return new Promise((resolve) =>
        wx.showModal({
          title: '绑定成功',
          content: '是否开启会议提醒？开会前一天，微信会提醒您参加。',
          confirmText: '开启提醒',
          cancelText: '以后再说',
          success: (answer) => {
            if (answer && answer.confirm) askFor({ wx, api, purposes: ['meeting_reminder'] }).then(resolve);
            else resolve();
          },
          fail: () => resolve(),
        }),
      );
    },
  };
}

module.exports = { createLoginPage };
