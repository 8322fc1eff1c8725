// Secretary mode: schedule a meeting from the phone. The server offers the branch, its party groups and
// the meeting kinds (GET /api/meetings/options; 403 for members who may not schedule) and checks
// everything again on POST /api/meetings; this page only catches what a secretary would mistype.
const { showError } = require('../../utils/api');
const { beijingParts } = require('../../utils/time');

const HOUR_MS = 3600 * 1000;
const RADII = [100, 200, 500, 1000];
const DEFAULT_KIND = 'theme_day';
const FIELD_LABELS = {
  kind: '会议类型',
  title: '会议名称',
  organiser_id: '组织',
  participant_ids: '参会范围',
  day: '日期',
  starts: '开始时间',
  ends: '结束时间',
  place: '地点',
  geo_lat: '位置',
  geo_lng: '位置',
  geo_radius_m: '签到范围',
};

// One hour later on the same day, or the last minute of the day: an end the server accepts.
function anHourAfter(clock) {
  const [hours, minutes] = clock.split(':').map(Number);
  return hours >= 23 ? '23:59' : `${String(hours + 1).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

// The next whole hour in Beijing, for an hour: a form that can be sent as it stands.
function defaultTimes(now) {
  const next = beijingParts(new Date((Math.floor(now.getTime() / HOUR_MS) + 1) * HOUR_MS));
  return { today: beijingParts(now).day, day: next.day, starts: next.time, ends: anHourAfter(next.time) };
}

function scopesFrom(options) {
  return [
    { id: null, label: `全支部（${options.branch.name}）` },
    ...options.groups.map((group) => ({ id: group.id, label: group.name })),
  ];
}

// What a secretary would mistype, in their words; null when the form may be sent.
function problemWith(data) {
  if (!data.title.trim()) return '请填写会议名称';
  if (data.ends <= data.starts) return '结束时间应晚于开始时间';
  if (data.useLocation && !data.location) return '请先获取当前位置';
  return null;
}

function payloadFrom(data) {
  const scope = data.scopes[data.scopeIndex];
  const payload = {
    kind: data.kinds[data.kindIndex].value,
    title: data.title.trim(),
    organiser_id: data.branch.id,
    participant_ids: scope.id ? [scope.id] : [],
    day: data.day,
    starts: data.starts,
    ends: data.ends,
    place: data.place.trim(),
  };
  if (data.useLocation) {
    Object.assign(payload, {
      geo_lat: data.location.latitude,
      geo_lng: data.location.longitude,
      geo_radius_m: RADII[data.radiusIndex],
    });
  }
  return payload;
}

// The server's first complaint about a field, named as the form names it.
function messageOf(err) {
  const fields = (err && err.fields) || {};
  const [field] = Object.keys(fields);
  if (!field) return err;
  const messages = [].concat(fields[field]);
  return { message: `${FIELD_LABELS[field] || field}：${messages[0]}` };
}

function locate(wx) {
  return new Promise((resolve) =>
    wx.getLocation({ type: 'wgs84', success: (r) => resolve(r), fail: () => resolve(null) }),
  );
}

function createMeetingNewPage({ api, wx, now = () => new Date() }) {
  return {
    data: {
      state: 'loading',
      stateMessage: '',
      ready: false,
      denied: '',
      branch: null,
      kinds: [],
      kindLabels: [],
      kindIndex: 0,
      scopes: [],
      scopeLabels: [],
      scopeIndex: 0,
      title: '',
      place: '',
      today: '',
      day: '',
      starts: '',
      ends: '',
      useLocation: false,
      location: null,
      locationText: '',
      radiusLabels: RADII.map((r) => `${r} 米内`),
      radiusIndex: 1,
      busy: false,
    },

    onLoad() {
      this.setData(defaultTimes(now()));
      return this.loadOptions();
    },

    // 403: this member may not schedule (the reason, no retry); anything else: an error with a retry.
    loadOptions() {
      return api
        .get('/api/meetings/options')
        .then((options) => this.offer(options))
        .catch((err) => {
          if (err && err.code === 'not_bound') return;
          const message = (err && err.message) || '暂时无法安排会议，请稍后再试';
          if (err && (err.status === 403 || err.status === 404)) this.setData({ state: 'forbidden', stateMessage: message, denied: message });
          else this.setData({ state: 'error', stateMessage: message });
        });
    },

    onRetry() {
      this.setData({ state: 'loading', stateMessage: '' });
      return this.loadOptions();
    },

    offer(options) {
      const scopes = scopesFrom(options);
      const kindIndex = Math.max(0, options.kinds.findIndex((k) => k.value === DEFAULT_KIND));
      this.setData({
        state: 'ready',
        ready: true,
        branch: options.branch,
        kinds: options.kinds,
        kindLabels: options.kinds.map((k) => k.label),
        kindIndex,
        scopes,
        scopeLabels: scopes.map((s) => s.label),
      });
    },

    onKindChange(event) {
      this.setData({ kindIndex: Number(event.detail.value) });
    },

    onTitleInput(event) {
      this.setData({ title: event.detail.value });
    },

    onDayChange(event) {
      this.setData({ day: event.detail.value });
    },

    // Moving the start past the end carries the end along, as a calendar does.
    onStartsChange(event) {
      const starts = event.detail.value;
      this.setData({ starts, ends: this.data.ends > starts ? this.data.ends : anHourAfter(starts) });
    },

    onEndsChange(event) {
      this.setData({ ends: event.detail.value });
    },

    onPlaceInput(event) {
      this.setData({ place: event.detail.value });
    },

    onScopeChange(event) {
      this.setData({ scopeIndex: Number(event.detail.value) });
    },

    onRadiusChange(event) {
      this.setData({ radiusIndex: Number(event.detail.value) });
    },

    // "Use my current location": the secretary stands in the meeting room when switching it on.
    onLocationSwitch(event) {
      if (!event.detail.value) {
        this.setData({ useLocation: false, location: null, locationText: '' });
        return Promise.resolve();
      }
      return locate(wx).then((place) => {
        if (!place) {
          this.setData({ useLocation: false, location: null, locationText: '' });
          wx.showToast({ title: '未能获取位置，请允许小程序使用位置信息', icon: 'none' });
          return;
        }
        const location = { latitude: place.latitude, longitude: place.longitude };
        const locationText = `${place.latitude.toFixed(5)}, ${place.longitude.toFixed(5)}`;
        this.setData({ useLocation: true, location, locationText });
      });
    },

    // The venue picked on WeChat's map (wx.chooseLocation): for a secretary scheduling from the office,
    // not standing in the room. Its name fills an empty 地点.
    pickOnMap() {
      const here = this.data.location || {};
      return new Promise((resolve) =>
        wx.chooseLocation({
          ...(here.latitude !== undefined ? { latitude: here.latitude, longitude: here.longitude } : {}),
          success: resolve,
          fail: (err) => {
            if (!(err && err.errMsg && /cancel/.test(err.errMsg))) {
              wx.showToast({ title: '未能打开地图，请允许小程序使用位置信息', icon: 'none' });
            }
            resolve(null);
          },
        }),
      ).then((picked) => {
        if (!picked) return;
        const location = { latitude: picked.latitude, longitude: picked.longitude };
        const locationText = picked.name || picked.address || `${picked.latitude.toFixed(5)}, ${picked.longitude.toFixed(5)}`;
        const patch = { useLocation: true, location, locationText };
        if (!this.data.place.trim() && picked.name) patch.place = picked.name;
        this.setData(patch);
      });
    },

    submit() {
      if (this.data.busy) return Promise.resolve();
      const problem = problemWith(this.data);
      if (problem) {
        wx.showToast({ title: problem, icon: 'none' });
        return Promise.resolve();
      }
      this.setData({ busy: true });
      return api
        .post('/api/meetings', payloadFrom(this.data))
        .then((meeting) => {
          wx.showToast({ title: '会议已安排', icon: 'success' });
          // Replace the form, so going back from the meeting returns to the list, not to a sent form.
          wx.redirectTo({ url: `/pages/meeting/index?id=${meeting.id}` });
        })
        .catch((err) => showError(wx, messageOf(err)))
        .then(() => this.setData({ busy: false }));
    },
  };
}

module.exports = { createMeetingNewPage, defaultTimes, anHourAfter, payloadFrom, problemWith, messageOf, RADII };
