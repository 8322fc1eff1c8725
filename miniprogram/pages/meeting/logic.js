// One meeting: check in by scanning the projected code (or, at a 现场核验 meeting, show my personal code
// to the secretary), ask for leave, see my attendance; share it, find the venue, put it in my calendar,
// ask to be reminded.
//
// Opened from the list or a share (`id`), the printed poster (`scene` m=<id>), or WeChat's own 扫一扫 on
// the projected code (`q`: the link with the live code): then one scan opens the meeting and checks in.
//
// At a fenced meeting the location is read when the page shows, before any scan: the first-time
// permission dialog takes the member longer than a projected code lives (15 s), so it must come first.
const { showError } = require('../../utils/api');
const { beijing } = require('../../utils/time');
const { meetingTarget } = require('../../utils/links');
const { askFor } = require('../../utils/subscribe');

const STATUS = { present: '已签到', late: '已签到（迟到）', leave: '请假' };
const LEAVE_STATUS = { pending: '请假待审批', approved: '请假已批准', refused: '请假未批准' };
const DEFAULT_CODE_TTL = 15; // seconds; the server says how long in `checkin_code_ttl`
const LOCATION_FRESH_MS = 2 * 60 * 1000; // a reading older than this is taken again before a scan
const REMINDER_QUESTION = '以后有会议时，需要在前一天通过微信提醒您吗？';

function meetingIdFrom(options) {
  return meetingTarget(options || {}).id;
}

function isCancel(err) {
  return Boolean(err && err.errMsg && /cancel/.test(err.errMsg));
}

// The member refused (now or before) rather than the phone failing to find itself.
function isDenied(err) {
  return Boolean(err && err.errMsg && /auth|deny|denied|permission/i.test(err.errMsg));
}

function statusTextOf(meeting) {
  const mine = meeting.my_attendance;
  if (mine && mine.status) return `${STATUS[mine.status]}${mine.checked_in_at ? ` · ${beijing(mine.checked_in_at)}` : ''}`;
  return meeting.my_leave ? LEAVE_STATUS[meeting.my_leave.status] : '';
}

// What the page offers, from where the meeting stands (`phase`) and what I have done: never an action
// the server would refuse (a scan or leave on an ended or cancelled meeting).
function offersFor(meeting) {
  const phase = meeting.phase || 'open';
  const mine = meeting.my_attendance;
  const checkedIn = Boolean(mine && mine.status && mine.status !== 'leave');
  const live = phase === 'open' || phase === 'upcoming';
  const scanning = !meeting.backfilled && !checkedIn && phase === 'open';
  const leave = meeting.my_leave;
  return {
    phase,
    checkedIn,
    canScan: scanning && !meeting.strict_checkin,
    showMyCode: scanning && Boolean(meeting.strict_checkin),
    canLeave: Boolean(meeting.leave_open) && !mine && (!leave || leave.status === 'refused'),
    needsLocation: Boolean(meeting.needs_location) && live && !meeting.backfilled && !meeting.strict_checkin && !checkedIn,
    hasVenue: typeof meeting.latitude === 'number' && typeof meeting.longitude === 'number' && phase !== 'cancelled',
    canPlan: live,
    canRunCheckin: Boolean(meeting.can_scan_members) && phase !== 'cancelled' && phase !== 'ended',
  };
}

// What a failed load shows: a missing (or not my) meeting is "会议不存在", a refusal its reason, and
// anything else an error with a retry.
function failureState(err) {
  if (err && err.status === 404) return { state: 'forbidden', stateMessage: err.message || '会议不存在' };
  if (err && err.status === 403) return { state: 'forbidden', stateMessage: err.message };
  return { state: 'error', stateMessage: (err && err.message) || '' };
}

function createMeetingPage({ api, wx, now = () => Date.now() }) {
  return {
    data: {
      id: null,
      state: 'loading',
      stateMessage: '',
      meeting: null,
      statusText: '',
      opensText: '',
      leaveReason: '',
      busy: false,
      phase: '',
      checkedIn: false,
      canScan: false,
      showMyCode: false,
      canLeave: false,
      needsLocation: false,
      hasVenue: false,
      canPlan: false,
      canRunCheckin: false,
      locationState: '', // '', locating, ok, denied, failed
      codeExpired: false,
    },
    pendingCode: null, // a code WeChat's scanner brought in `q`, posted once the meeting is loaded
    scannedAt: 0,
    place: null,
    placeAt: 0,
    locating: null,

    onLoad(options) {
      const target = meetingTarget(options || {});
      this.pendingCode = target.code;
      this.scannedAt = now();
      if (!target.id) {
        const message = options && options.q ? '这不是本系统的签到二维码，请扫描会议现场大屏上的签到码' : '会议不存在';
        this.setData({ state: 'forbidden', stateMessage: message });
        return;
      }
      this.setData({ id: target.id });
    },

    onShow() {
      return this.load().then(() => this.afterLoad());
    },

    onRetry() {
      this.setData({ state: 'loading', stateMessage: '' });
      return this.onShow();
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },

    load() {
      if (!this.data.id) return Promise.resolve();
      return api
        .get(`/api/meetings/${this.data.id}`)
        .then((meeting) => this.show(meeting))
        .catch((err) => {
          if (err && err.code === 'not_bound') return; // the client is taking the member to binding
          // A page already shown keeps its content; a first load says what went wrong.
          if (this.data.meeting && !(err && (err.status === 404 || err.status === 403))) showError(wx, err);
          else this.setData(failureState(err));
        });
    },

    show(meeting) {
      const opensText = meeting.phase === 'upcoming' && meeting.checkin_opens_at ? `签到将于 ${beijing(meeting.checkin_opens_at)} 开放` : '';
      this.setData({
        state: 'ready',
        stateMessage: '',
        meeting: { ...meeting, when: beijing(meeting.starts_at) },
        statusText: statusTextOf(meeting),
        opensText,
        ...offersFor(meeting),
      });
    },

    // After each load: the code from WeChat's scanner is posted once; otherwise a fenced meeting reads
    // the location now, so it is ready when the member scans.
    afterLoad() {
      if (this.data.state !== 'ready') return Promise.resolve();
      const code = this.pendingCode;
      this.pendingCode = null;
      if (code) return this.checkInWithScanned(code);
      if (this.data.needsLocation && this.data.locationState !== 'denied') return this.freshPlace();
      return Promise.resolve();
    },

    // wx.getLocation once at a time; resolves the reading or null, and says on the page how it went.
    locate() {
      if (this.locating) return this.locating;
      this.setData({ locationState: 'locating' });
      this.locating = new Promise((resolve) =>
        wx.getLocation({ type: 'wgs84', success: (place) => resolve({ place }), fail: (error) => resolve({ error }) }),
      ).then(({ place, error }) => {
        this.locating = null;
        if (place) {
          this.place = place;
          this.placeAt = now();
          this.setData({ locationState: 'ok' });
          return place;
        }
        this.setData({ locationState: isDenied(error) ? 'denied' : 'failed' });
        return null;
      });
      return this.locating;
    },

    freshPlace() {
      if (this.place && now() - this.placeAt < LOCATION_FRESH_MS) return Promise.resolve(this.place);
      return this.locate();
    },

    // Why the location is needed, in plain words, with the way to allow it: the settings page (a denial
    // is remembered by WeChat, so asking again shows nothing), or a retry when the phone found no fix.
    explainLocation() {
      const denied = this.data.locationState === 'denied';
      wx.showModal({
        title: denied ? '需要您的位置' : '未能获取位置',
        content: denied
          ? '本次会议需在会场范围内签到，要用到手机的位置。请在设置中允许“电子党务”使用位置信息，然后再扫码。'
          : '请打开手机的定位服务（GPS），到窗边或室外空旷处后再试。',
        confirmText: denied ? '去设置' : '重试',
        cancelText: '暂不',
        success: (answer) => {
          if (!answer.confirm) return;
          if (denied) this.openLocationSetting();
          else this.locate();
        },
      });
    },

    // From a tap (the 去设置 button or the modal's confirm): WeChat's settings page, then read again.
    openLocationSetting() {
      wx.openSetting({
        success: (result) => {
          if (result.authSetting && result.authSetting['scope.userLocation']) this.locate();
        },
      });
    },

    // One scan with WeChat's own scanner opened the page: locate first if the meeting needs it, and post
    // the code only if it can still be alive.
    checkInWithScanned(code) {
      // Checked in already, not open yet, ended, cancelled or 现场核验: the page says which; a scan of a
      // screen shown too early is answered in words rather than left unexplained.
      if (!this.data.canScan) {
        if (this.data.checkedIn) wx.showToast({ title: '您已签到', icon: 'none' });
        else if (this.data.opensText) wx.showToast({ title: this.data.opensText, icon: 'none' });
        return Promise.resolve();
      }
      this.setData({ busy: true });
      const ttlMs = (this.data.meeting.checkin_code_ttl || DEFAULT_CODE_TTL) * 1000;
      return Promise.resolve(this.data.needsLocation ? this.freshPlace() : null)
        .then((place) => {
          if (this.data.needsLocation && !place) return this.explainLocation();
          if (now() - this.scannedAt >= ttlMs) {
            this.setData({ codeExpired: true });
            wx.showModal({
              title: '请再扫一次',
              content: '获取位置用时较长，刚才扫描的二维码已经更新。请用微信再扫一次会场大屏上的二维码。',
              showCancel: false,
              confirmText: '知道了',
              success: () => {},
            });
            return null;
          }
          return this.post(code, place);
        })
        .then(() => this.setData({ busy: false }));
    },

    // The 扫码签到 button: the location first (fresh from onShow, normally), then the camera. The scanned
    // text goes as it is, link or bare code: the server knows which links are ours.
    scan() {
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: true, codeExpired: false });
      const needsLocation = this.data.needsLocation;
      return Promise.resolve(needsLocation ? this.freshPlace() : null)
        .then((place) => {
          if (needsLocation && !place) return this.explainLocation();
          return new Promise((resolve, reject) => wx.scanCode({ onlyFromCamera: true, success: resolve, fail: reject })).then(
            (scanned) => this.post(scanned.result, place),
          );
        })
        .catch((err) => {
          if (!isCancel(err)) showError(wx, err);
        })
        .then(() => this.setData({ busy: false }));
    },

    post(code, place) {
      const body = { code };
      if (place) Object.assign(body, { latitude: place.latitude, longitude: place.longitude });
      // Without it the server marks the check-in for the secretary to look at.
      if (place && typeof place.accuracy === 'number') body.accuracy = place.accuracy;
      return api
        .post(`/api/meetings/${this.data.id}/checkin`, body)
        .then((result) => {
          if (result.already) wx.showToast({ title: result.message, icon: 'none' });
          else this.offerReminder(result.message);
          return this.load();
        })
        .catch((err) => showError(wx, err));
    },

    // After a check-in or a leave request: the moment a member is most willing to say yes to a reminder.
    // askFor runs straight in the modal's confirm, as WeChat requires.
    offerReminder(title) {
      wx.showModal({
        title,
        content: REMINDER_QUESTION,
        confirmText: '提醒我',
        cancelText: '不用了',
        success: (answer) => {
          if (answer.confirm) askFor({ wx, api, purposes: ['meeting_reminder'] }).then((r) => this.reminded(r));
        },
      });
    },

    // The 提醒我 button.
    remindMe() {
      return askFor({ wx, api, purposes: ['meeting_reminder'] }).then((r) => this.reminded(r));
    },

    reminded({ accepted }) {
      if (accepted.length) wx.showToast({ title: '已开启提醒', icon: 'success' });
      else wx.showToast({ title: '未开启提醒，可随时再点“提醒我”', icon: 'none' });
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
        .post(`/api/meetings/${this.data.id}/leave`, { reason })
        .then(() => {
          this.setData({ leaveReason: '' });
          this.offerReminder('请假已提交，等待审批');
          return this.load();
        })
        .catch((err) => showError(wx, err));
    },

    openVenue() {
      const m = this.data.meeting;
      wx.openLocation({ latitude: m.latitude, longitude: m.longitude, name: m.place || m.title, address: m.place, scale: 17 });
    },

    addToCalendar() {
      const m = this.data.meeting;
      wx.addPhoneCalendar({
        title: m.title,
        startTime: Math.floor(Date.parse(m.starts_at) / 1000),
        endTime: Math.floor(Date.parse(m.ends_at) / 1000),
        location: m.place,
        description: `${m.kind_label} · ${m.organiser}`,
        alarm: true,
        alarmOffset: 3600,
        success: () => wx.showToast({ title: '已加入日历', icon: 'success' }),
        fail: (err) => {
          if (!isCancel(err)) wx.showToast({ title: '未能加入日历，请允许微信使用日历', icon: 'none' });
        },
      });
    },

    onShareAppMessage() {
      const m = this.data.meeting;
      return { title: m ? `${m.title}（${m.when}）` : '会议详情', path: `/pages/meeting/index?id=${this.data.id}` };
    },

    // 现场核验: only the secretary's scan of my personal code counts.
    showMyCode() {
      wx.switchTab({ url: '/pages/my-code/index' });
    },

    secretaryMode() {
      wx.navigateTo({ url: `/pages/secretary-scan/index?id=${this.data.id}` });
    },
  };
}

module.exports = { createMeetingPage, meetingIdFrom, offersFor, failureState, LOCATION_FRESH_MS };
