// One meeting: scan the projected code to check in (or, at a 现场核验 meeting, show my personal code to
// the secretary), ask for leave, see my attendance.
// Opened from the list, or from the printed poster's mini-program code (scene "m=<id>").
const { showError } = require('../../utils/api');
const { beijing } = require('../../utils/time');

const STATUS = { present: '已签到', late: '已签到（迟到）', leave: '请假' };

function meetingIdFrom(options) {
  if (options.id) return Number(options.id);
  const scene = decodeURIComponent(options.scene || '');
  const match = /^m=(\d+)$/.exec(scene);
  return match ? Number(match[1]) : null;
}

function locate(wx) {
  return new Promise((resolve) =>
    wx.getLocation({ type: 'wgs84', success: (r) => resolve(r), fail: () => resolve(null) }),
  );
}

function createMeetingPage({ api, wx }) {
  return {
    data: { id: null, meeting: null, statusText: '', leaveReason: '', busy: false },

    onLoad(options) {
      this.setData({ id: meetingIdFrom(options || {}) });
    },

    onShow() {
      if (!this.data.id) return Promise.resolve();
      return api
        .get(`/api/meetings/${this.data.id}`)
        .then((meeting) => this.show(meeting))
        .catch((err) => showError(wx, err));
    },

    show(meeting) {
      const mine = meeting.my_attendance;
      const leave = meeting.my_leave;
      let statusText = mine ? `${STATUS[mine.status]}${mine.checked_in_at ? ` · ${beijing(mine.checked_in_at)}` : ''}` : '';
      if (!mine && leave) statusText = { pending: '请假待审批', approved: '请假已批准', refused: '请假未批准' }[leave.status];
      this.setData({ meeting: { ...meeting, when: beijing(meeting.starts_at) }, statusText });
    },

    scan() {
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: true });
      const meeting = this.data.meeting;
      return new Promise((resolve, reject) => wx.scanCode({ onlyFromCamera: true, success: resolve, fail: reject }))
        .then((scanned) => Promise.resolve(meeting.needs_location ? locate(wx) : null).then((place) => [scanned, place]))
        .then(([scanned, place]) => {
          const body = { code: scanned.result };
          if (place) Object.assign(body, { latitude: place.latitude, longitude: place.longitude });
          // Without it the server marks the check-in for the secretary to look at.
          if (place && typeof place.accuracy === 'number') body.accuracy = place.accuracy;
          return api.post(`/api/meetings/${meeting.id}/checkin`, body);
        })
        .then((result) => {
          wx.showToast({ title: result.message, icon: result.already ? 'none' : 'success' });
          return this.onShow();
        })
        .catch((err) => {
          if (!(err && err.errMsg && /cancel/.test(err.errMsg))) showError(wx, err);
        })
        .then(() => this.setData({ busy: false }));
    },

    onReasonInput(event) {
      this.setData({ leaveReason: event.detail.value });
    },

    askLeave() {
      const reason = this.data.leaveReason.trim();
      if (!reason) {
        wx.showToast({ title: '请填写请假事由', icon: 'none' });
        return Promise.resolve();
      }
      return api
        .post(`/api/meetings/${this.data.meeting.id}/leave`, { reason })
        .then(() => {
          wx.showToast({ title: '已提交，等待书记审批', icon: 'none' });
          return this.onShow();
        })
        .catch((err) => showError(wx, err));
    },

    // 现场核验: only the secretary's scan of my personal code counts.
    showMyCode() {
      wx.switchTab({ url: '/pages/my-code/index' });
    },

    secretaryMode() {
      wx.navigateTo({ url: `/pages/secretary-scan/index?id=${this.data.meeting.id}` });
    },
  };
}

module.exports = { createMeetingPage, meetingIdFrom };
